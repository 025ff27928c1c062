// The gate page: a handheld scanner types a QR text and Enter into the focused field, or the
// camera's frames go to the gate's QR reader (POST /v1/scan); the verdict, the reason, the
// claims the holder disclosed and the trust's freshness are shown. No library, no QR decoder
// here: the server reads the frames with the checkpoint's one QR reader.
'use strict';

(function () {
  const FRAME_MS = 300; // one camera frame to the server every 300 ms
  const PAUSE_MS = 3000; // after a verdict from the camera, scanning pauses this long
  const CLEAR_MS = 30000; // a verdict (and its claims) leaves the screen after this long
  const STATUS_MS = 10000; // how often the trust's freshness is read again

  const $ = (id) => document.getElementById(id);
  const verdict = $('verdict');
  const reason = $('reason');
  const claims = $('claims');
  const trust = $('trust');
  const freshness = $('freshness');
  const syncLine = $('sync');
  const form = $('scanner');
  const input = $('payload');
  const cameraButton = $('camera');
  const cameraState = $('camera-state');
  const video = $('video');
  const canvas = $('frame');

  let clearTimer = null;
  let latest = 0; // the number of the newest verification asked for
  let stream = null;
  let frameTimer = null;
  let pausedUntil = 0;

  // --- the verdict area ---------------------------------------------------------------------

  function clearVerdict() {
    verdict.textContent = 'READY';
    verdict.className = 'verdict idle';
    reason.textContent = 'Scan a code, or open the camera.';
    claims.replaceChildren();
    trust.textContent = '';
  }

  function keepFor(ms) {
    clearTimeout(clearTimer);
    clearTimer = setTimeout(clearVerdict, ms);
  }

  // Nested claims as "a.b.c: value" rows (text only: nothing of a code becomes markup).
  function flatten(value, path, rows) {
    if (rows.length >= 200) return;
    if (value !== null && typeof value === 'object') {
      const entries = Array.isArray(value)
        ? value.map((item, i) => [String(i), item])
        : Object.entries(value);
      for (const [key, item] of entries) flatten(item, path ? path + '.' + key : key, rows);
    } else if (value !== null && value !== undefined) {
      rows.push([path || 'value', String(value)]);
    }
  }

  function showClaims(disclosed) {
    const rows = [];
    flatten(disclosed, '', rows);
    claims.replaceChildren();
    for (const [name, value] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = value;
      claims.append(dt, dd);
    }
  }

  function showReport(report) {
    const accepted = report.verdict === 'ACCEPT';
    verdict.textContent = accepted ? 'ACCEPT' : 'REJECT';
    verdict.className = 'verdict ' + (accepted ? 'accept' : 'reject');
    const failed = (report.steps || []).find((step) => step.status === 'FAILED');
    const code = failed && failed.error ? ' (' + failed.error.code + ')' : '';
    reason.textContent = report.deciding_step + ': ' + report.reason + code;
    showClaims(accepted ? report.disclosed_claims : null);
    trust.textContent = report.trust
      ? 'status as of height ' + report.trust.height + ', time ' + report.trust.time
      : 'no synced trust was used';
    keepFor(CLEAR_MS);
    readStatus();
  }

  function showError(message) {
    verdict.textContent = 'ERROR';
    verdict.className = 'verdict error';
    reason.textContent = message;
    claims.replaceChildren();
    trust.textContent = '';
    keepFor(CLEAR_MS);
  }

  async function answerOf(response) {
    try {
      return await response.json();
    } catch (_) {
      return {};
    }
  }

  // --- the handheld scanner (a keyboard wedge) -----------------------------------------------

  async function verifyText(payload) {
    const ticket = ++latest;
    verdict.textContent = '…';
    verdict.className = 'verdict idle';
    try {
      const response = await fetch('/v1/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payload: payload }),
      });
      const answer = await answerOf(response);
      if (ticket !== latest) return; // a newer code was scanned meanwhile
      if (response.ok) showReport(answer);
      else showError(answer.message || 'the gate refused the code (' + response.status + ')');
    } catch (_) {
      if (ticket === latest) showError('the gate service did not answer');
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const payload = input.value.trim();
    input.value = '';
    if (payload) verifyText(payload);
  });

  // The scanner types into whatever has the focus: keep it on the field.
  input.addEventListener('blur', () => setTimeout(() => input.focus(), 0));
  document.addEventListener('click', () => input.focus());

  // --- the camera -----------------------------------------------------------------------------

  function scheduleFrame(delay) {
    clearTimeout(frameTimer);
    frameTimer = setTimeout(scanFrame, delay);
  }

  function frameBlob() {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  }

  async function scanFrame() {
    if (!stream) return;
    const wait = pausedUntil - Date.now();
    if (wait > 0) {
      scheduleFrame(wait);
      return;
    }
    if (video.readyState >= 2 && video.videoWidth > 0) {
      const blob = await frameBlob();
      if (blob && stream) {
        try {
          const response = await fetch('/v1/scan', {
            method: 'POST',
            headers: { 'content-type': 'image/png' },
            body: blob,
          });
          const answer = await answerOf(response);
          if (response.ok && stream) {
            latest++; // a camera verdict replaces a scanner verdict still on its way
            showReport(answer);
            pausedUntil = Date.now() + PAUSE_MS;
            cameraState.textContent = 'verdict shown; scanning again in a few seconds';
          } else if (response.status === 422) {
            cameraState.textContent = 'looking for a QR code…';
          } else if (!response.ok) {
            cameraState.textContent = answer.message || 'the frame was refused';
          }
        } catch (_) {
          cameraState.textContent = 'the gate service did not answer';
        }
      }
    }
    scheduleFrame(FRAME_MS);
  }

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraState.textContent = 'no camera here (the page must be opened at 127.0.0.1 or localhost)';
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: true });
    } catch (error) {
      cameraState.textContent = 'the camera could not be opened: ' + error.name;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    try {
      await video.play();
    } catch (_) {
      // muted inline video plays without a gesture; a refusal only delays the first frame
    }
    cameraButton.textContent = 'Stop camera';
    cameraState.textContent = 'looking for a QR code…';
    pausedUntil = 0;
    scheduleFrame(0);
  }

  function stopCamera() {
    clearTimeout(frameTimer);
    for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    cameraButton.textContent = 'Camera';
    cameraState.textContent = '';
  }

  cameraButton.addEventListener('click', () => (stream ? stopCamera() : startCamera()));

  // --- how fresh the trust is -----------------------------------------------------------------

  async function readStatus() {
    try {
      const status = await answerOf(await fetch('/v1/status'));
      freshness.textContent =
        status.height === null || status.height === undefined
          ? 'trust: not synced yet'
          : 'chain ' + status.chainId + ': status as of height ' + status.height +
            ', time ' + status.time + ' (' + status.authorities + ' authorities, ' +
            status.statusEntries + ' status entries)';
      const last = status.lastSync;
      const at = last ? last.at.replace(/\.\d+Z$/, 'Z') : '';
      if (!last) {
        syncLine.textContent = '';
        syncLine.className = '';
      } else if (last.succeeded) {
        syncLine.textContent = 'last sync ' + at + ': up to date';
        syncLine.className = '';
      } else {
        syncLine.textContent = 'last sync ' + at + ' failed (' + last.error +
          '); the trust above stays in force';
        syncLine.className = 'failed';
      }
    } catch (_) {
      freshness.textContent = 'trust: the gate service did not answer';
    }
  }

  readStatus();
  setInterval(readStatus, STATUS_MS);
  input.focus();
})();
