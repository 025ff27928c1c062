"""The holder flow through the Python bindings of crosscode-mobile-ffi.

Run by `mobile-ffi/tests/python_holder_flow.rs`, which generates the bindings, starts a dev
chain and the issuer service of MO on loopback, and passes in the environment:
CROSSCODE_FFI_TRUST (a trust-cache JSON file), CROSSCODE_FFI_OFFERS (a JSON list of
{"uri", "txCode"} offers), CROSSCODE_FFI_WORK (a scratch folder) and CROSSCODE_FFI_OUT (where
the dynamic presentation is written for the checkpoint).
"""

import asyncio
import json
import os
import shutil
import time
import unittest

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import crosscode_mobile_ffi as ffi

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class PythonKeystore(ffi.HolderKeystore):
    """A keystore written in Python: the private keys stay in this object (as they would stay
    in Android's or iOS's keystore); Rust only ever sees handles, public keys and signatures."""

    def __init__(self, failing=None):
        self.keys = {}
        self.calls = []
        self.failing = failing

    def generate(self, algorithm):
        self.calls.append("generate")
        assert algorithm == ffi.HolderKeyAlgorithm.ED25519
        handle = "py-%d" % (len(self.keys) + 1)
        self.keys[handle] = Ed25519PrivateKey.generate()
        return handle

    def public_key(self, handle):
        self.calls.append("public_key")
        return self.keys[handle].public_key().public_bytes(*RAW)

    def sign(self, handle, message):
        self.calls.append("sign")
        if self.failing == "typed":
            raise ffi.WalletError.Failed(code="user_cancelled", detail="biometric prompt dismissed")
        if self.failing == "crash":
            raise RuntimeError("the secure element is unavailable")
        return self.keys[handle].sign(bytes(message))

    def delete(self, handle):
        self.calls.append("delete")
        self.keys.pop(handle, None)


class PythonP256Keystore(ffi.HolderKeystore):
    """A P-256 keystore in Python, as the iOS Secure Enclave or Android StrongBox would be: it
    answers the compressed SEC1 point and turns its DER signatures into 64-byte r || s."""

    def __init__(self):
        self.keys = {}

    def generate(self, algorithm):
        assert algorithm == ffi.HolderKeyAlgorithm.P256
        handle = "p256-%d" % (len(self.keys) + 1)
        self.keys[handle] = ec.generate_private_key(ec.SECP256R1())
        return handle

    def public_key(self, handle):
        return self.keys[handle].public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)

    def sign(self, handle, message):
        der = self.keys[handle].sign(bytes(message), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def delete(self, handle):
        self.keys.pop(handle, None)


def env_path(name):
    value = os.environ.get(name)
    if not value:
        raise unittest.SkipTest("run by mobile-ffi/tests/python_holder_flow.rs (%s unset)" % name)
    return value


class HolderFlow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(env_path("CROSSCODE_FFI_TRUST")) as f:
            cls.trust = ffi.Trust.from_json(f.read())
        with open(env_path("CROSSCODE_FFI_OFFERS")) as f:
            cls.offers = json.load(f)
        cls.work = env_path("CROSSCODE_FFI_WORK")
        cls.out = env_path("CROSSCODE_FFI_OUT")

    def wallet_dir(self, name):
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        return path

    def assert_code(self, code, call, *args):
        with self.assertRaises(ffi.WalletError.Failed) as caught:
            result = call(*args)
            if asyncio.iscoroutine(result):
                asyncio.run(result)
        self.assertEqual(caught.exception.code, code, caught.exception.detail)
        return caught.exception

    def test_1_a_wallet_with_a_python_keystore_receives_lists_and_presents_a_dynamic_qr(self):
        keystore = PythonKeystore()
        wallet = ffi.Wallet.open(self.wallet_dir("main"), "citizen passphrase", keystore,
                                 ffi.HolderKeyAlgorithm.ED25519)
        offer = self.offers[0]
        # The offer asks for a transaction code: without it nothing is redeemed.
        self.assert_code("tx_code_required", wallet.receive, offer["uri"], None, self.trust)
        summary = asyncio.run(wallet.receive(offer["uri"], offer["txCode"], self.trust))
        self.assertIn("HealthCode", summary.types)
        self.assertTrue(summary.holder_did.startswith("did:key:z6Mk"))
        self.assertEqual(summary.status, ffi.CredentialStatus.GOOD)
        self.assertTrue(summary.selective)
        self.assertEqual(["generate", "public_key", "sign"], keystore.calls[:3])
        self.assertEqual([s.id for s in wallet.list()], [summary.id])
        credential = json.loads(wallet.credential_json(summary.id))
        self.assertEqual(credential["credentialSubject"]["id"], summary.holder_did)

        # A second offer gets its own holder key (unlinkable presentations).
        second = asyncio.run(wallet.receive(self.offers[1]["uri"], None, self.trust))
        self.assertNotEqual(second.holder_did, summary.holder_did)
        self.assertEqual(len(keystore.keys), 2)

        signs = keystore.calls.count("sign")
        made_at = int(time.time())
        shown = wallet.present(summary.id, ["statusColour", "statusDate"], "checkpoint-7", True,
                               False)
        self.assertEqual(keystore.calls.count("sign"), signs + 1)
        self.assertFalse(shown.anchored)
        self.assertTrue(shown.payload.startswith("CC1:"))
        # The target is 1,000 characters; today's issued credential gives ~1,720 (docs/wallet.md).
        self.assertLessEqual(len(shown.payload), 1800)
        self.assertEqual(shown.time_slot, made_at // 30)
        self.assertEqual(bytes(shown.png[:8]), b"\x89PNG\r\n\x1a\n")
        # For a checkpoint that checks anchor inclusion: the issuer's receipt travels along.
        anchored = wallet.present(summary.id, ["statusColour"], "checkpoint-7", True, True)
        self.assertTrue(anchored.anchored)
        with open(self.out, "w") as f:
            json.dump({"payload": shown.payload, "anchoredPayload": anchored.payload,
                       "madeAt": made_at, "holderDid": summary.holder_did}, f)

        # A claim the credential does not have is a typed refusal, not a crash.
        self.assert_code("invalid_disclosure", wallet.present, summary.id, ["noSuchClaim"],
                         None, False, False)
        # Deleting removes the credential and its key.
        wallet.delete(second.id)
        self.assertEqual([s.id for s in wallet.list()], [summary.id])
        self.assertEqual(len(keystore.keys), 1)
        self.assert_code("not_found", wallet.credential_json, second.id)

    def test_2_a_replayed_offer_is_refused_and_nothing_stored_is_lost(self):
        keystore = PythonKeystore()
        wallet = ffi.Wallet.open(self.wallet_dir("main"), "citizen passphrase", keystore,
                                 ffi.HolderKeyAlgorithm.ED25519)
        asyncio.run(wallet.receive(self.offers[2]["uri"], None, self.trust))
        self.assert_code("offer_not_redeemable", wallet.receive, self.offers[2]["uri"], None,
                         self.trust)
        self.assertEqual(len(wallet.list()), 1)

    def test_3_a_keystore_that_refuses_or_throws_is_a_typed_error(self):
        for failing, offer in [("typed", self.offers[4]), ("crash", self.offers[5])]:
            keystore = PythonKeystore(failing)
            wallet = ffi.Wallet.open(self.wallet_dir("failing-" + failing), "pass", keystore,
                                     ffi.HolderKeyAlgorithm.ED25519)
            error = self.assert_code("keystore", wallet.receive, offer["uri"], None, self.trust)
            expected = "user_cancelled" if failing == "typed" else "keystore_callback"
            self.assertIn(expected, error.detail)
            self.assertEqual(wallet.list(), [])
            # The keystore failed before the offer was redeemed: it still works.
            working = ffi.Wallet.open(self.wallet_dir("retry-" + failing), "pass",
                                      PythonKeystore(), ffi.HolderKeyAlgorithm.ED25519)
            asyncio.run(working.receive(offer["uri"], None, self.trust))
            self.assertEqual(len(working.list()), 1)

    def test_4_a_wrong_passphrase_and_a_corrupted_store_are_typed_errors(self):
        folder = self.wallet_dir("sealed")
        keys = os.path.join(folder, "keys")
        keystore = ffi.software_keystore(keys, "right passphrase")
        wallet = ffi.Wallet.open(folder, "right passphrase", keystore,
                                 ffi.HolderKeyAlgorithm.ED25519)
        summary = asyncio.run(wallet.receive(self.offers[3]["uri"], None, self.trust))
        self.assert_code("wrong_passphrase", ffi.Wallet.open, folder, "wrong passphrase",
                         keystore, ffi.HolderKeyAlgorithm.ED25519)
        # The credentials open, but the key files do not open under another passphrase.
        locked = ffi.Wallet.open(folder, "right passphrase",
                                 ffi.software_keystore(keys, "wrong passphrase"),
                                 ffi.HolderKeyAlgorithm.ED25519)
        self.assert_code("keystore", locked.present, summary.id, ["statusColour"], None, True,
                         False)
        # One flipped byte in the sealed credential file: a typed error, nothing panics.
        path = os.path.join(folder, "credentials", summary.id + ".cred")
        with open(path, "r+b") as f:
            f.seek(40)
            byte = f.read(1)
            f.seek(40)
            f.write(bytes([byte[0] ^ 1]))
        self.assert_code("corrupted_store", wallet.credential_json, summary.id)
        self.assert_code("invalid_trust", ffi.Trust.from_json, "{not json")


    def test_5_a_p256_keystore_receives_and_presents(self):
        wallet = ffi.Wallet.open(self.wallet_dir("p256"), "citizen passphrase",
                                 PythonP256Keystore(), ffi.HolderKeyAlgorithm.P256)
        summary = asyncio.run(wallet.receive(self.offers[6]["uri"], None, self.trust))
        self.assertTrue(summary.holder_did.startswith("did:key:zDn"), summary.holder_did)
        made_at = int(time.time())
        shown = wallet.present(summary.id, ["statusColour"], "checkpoint-7", True, False)
        self.assertTrue(shown.payload.startswith("CC1:"))
        with open(self.out + ".p256", "w") as f:
            json.dump({"payload": shown.payload, "madeAt": made_at,
                       "holderDid": summary.holder_did}, f)


if __name__ == "__main__":
    unittest.main()
