//! The tools and files the tests need beyond the system packages: `cargo-nextest`, the
//! pinned schemathesis (the node's OpenAPI property test), the pinned Kotlin compiler and
//! playwright-core (npm), rustfmt and clippy, and the shared test vectors.

use std::env;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::XtaskError;
use crate::command::CommandLine;
use crate::system::find_on_path;

/// The schemathesis release the property test is written for (its CLI flags changed between
/// major versions).
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// The variable through which the tests are told which schemathesis executable to run
/// (`did-registry/tests/node_openapi_property.rs` reads it; default: `schemathesis` on `PATH`).
pub const SCHEMATHESIS_ENV: &str = "CROSSCODE_SCHEMATHESIS";

/// The Kotlin compiler release the mobile bindings' smoke test is compiled with (npm package
/// `kotlin-compiler`, which also carries `kotlinx-coroutines-core-jvm.jar`).
pub const KOTLIN_VERSION: &str = "2.4.20";

/// The variable through which the tests are told where the Kotlin compiler's home is (the
/// folder holding `bin/kotlinc` and `lib/`; `mobile-ffi/tests/kotlin_smoke.rs` reads it).
pub const KOTLIN_HOME_ENV: &str = "CROSSCODE_KOTLIN_HOME";

/// The playwright-core release the gate page's Chromium test drives the browser with (npm
/// package `playwright-core`: the library without browser downloads; the test launches Debian's
/// `/usr/bin/chromium`).
pub const PLAYWRIGHT_CORE_VERSION: &str = "1.65.1";

/// The variable through which the tests are told where the playwright-core package is (its
/// folder; `cli/tests/gate_browser.rs` reads it).
pub const PLAYWRIGHT_CORE_ENV: &str = "CROSSCODE_PLAYWRIGHT_CORE";

/// The Python `cryptography` release the mobile bindings' Python suite signs with (its keystore,
/// written in Python, holds Ed25519 keys through it).
pub const PYTHON_CRYPTOGRAPHY_VERSION: &str = "48.0.0";

/// The variable that overrides where the shared test vectors are.
pub const VECTORS_ENV: &str = "CROSSCODE_VECTORS";

/// The cargo that runs this task (`$CARGO`, set by `cargo run`), or `cargo`.
pub fn cargo() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The shared test vectors' folder: `$CROSSCODE_VECTORS`, or `../shared/vectors` beside the
/// workspace root.
pub fn vectors_dir(from_env: Option<OsString>, workspace_root: &Path) -> PathBuf {
    match from_env {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root.join("..").join("shared").join("vectors"),
    }
}

/// Fails with the path when the shared test vectors are not in `dir`.
pub fn ensure_vectors(dir: PathBuf) -> Result<(), XtaskError> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(XtaskError::VectorsMissing { path: dir })
    }
}

/// Installs `cargo-nextest` when `cargo nextest` does not run.
pub fn ensure_nextest() -> Result<(), XtaskError> {
    if CommandLine::new(cargo(), ["nextest", "--version"]).succeeds_quietly() {
        return Ok(());
    }
    CommandLine::new(cargo(), ["install", "cargo-nextest", "--locked"]).run()
}

/// Adds the rustfmt and clippy components when `cargo fmt` / `cargo clippy` do not run.
pub fn ensure_lint_components() -> Result<(), XtaskError> {
    for (subcommand, component) in [("fmt", "rustfmt"), ("clippy", "clippy")] {
        if !CommandLine::new(cargo(), [subcommand, "--version"]).succeeds_quietly() {
            CommandLine::new("rustup", ["component", "add", component]).run()?;
        }
    }
    Ok(())
}

/// The version in the output of `schemathesis --version` (`schemathesis, version 4.32.5`).
pub fn schemathesis_version(output: &str) -> Option<&str> {
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix("schemathesis, version "))
        .map(str::trim)
}

/// The pip command that installs the pinned schemathesis; `system_python` adds
/// `--break-system-packages`, which a Debian-managed `python3` needs (PEP 668: pip then
/// installs into `/usr/local`, beside, not over, Debian's own packages).
pub fn schemathesis_install(system_python: bool) -> CommandLine {
    pip_install(
        &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        system_python,
    )
}

/// The pip command that installs `requirement`; `system_python` adds
/// `--break-system-packages` (see [`schemathesis_install`]).
pub fn pip_install(requirement: &str, system_python: bool) -> CommandLine {
    let command = CommandLine::new("python3", ["-m", "pip", "install", "--quiet", requirement]);
    if system_python {
        command.args(["--break-system-packages"])
    } else {
        command
    }
}

/// Installs Python's `cryptography` (pinned) when `python3` cannot import it.
pub fn ensure_python_cryptography() -> Result<(), XtaskError> {
    if CommandLine::new("python3", ["-c", "import cryptography"]).succeeds_quietly() {
        return Ok(());
    }
    let requirement = format!("cryptography=={PYTHON_CRYPTOGRAPHY_VERSION}");
    if let Err(err) = pip_install(&requirement, false).run() {
        eprintln!("xtask: {err}; trying again as for a Debian-managed python3");
        pip_install(&requirement, true).run()?;
    }
    Ok(())
}

/// The pinned schemathesis executable among `candidates`, if one runs.
fn pinned_schemathesis(candidates: impl IntoIterator<Item = PathBuf>) -> Option<PathBuf> {
    candidates.into_iter().find(|exe| {
        CommandLine::new(exe, ["--version"])
            .output_text()
            .is_some_and(|out| schemathesis_version(&out) == Some(SCHEMATHESIS_VERSION))
    })
}

/// Where schemathesis may be: `schemathesis` / `st` on `PATH`, then in the scripts folder of
/// `python3` (pip installs there; a pyenv shim may not exist yet).
fn schemathesis_candidates(path: &OsStr) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = ["schemathesis", "st"]
        .iter()
        .filter_map(|name| find_on_path(name, path))
        .collect();
    let scripts = CommandLine::new(
        "python3",
        [
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ],
    )
    .output_text();
    if let Some(dir) = scripts.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        candidates.push(Path::new(dir).join("schemathesis"));
    }
    candidates
}

/// The pinned schemathesis executable, installed with pip when it is missing (or another
/// version).
pub fn ensure_schemathesis() -> Result<PathBuf, XtaskError> {
    let path = env::var_os("PATH").unwrap_or_default();
    if let Some(exe) = pinned_schemathesis(schemathesis_candidates(&path)) {
        return Ok(exe);
    }
    if let Err(err) = schemathesis_install(false).run() {
        eprintln!("xtask: {err}; trying again as for a Debian-managed python3");
        schemathesis_install(true).run()?;
    }
    pinned_schemathesis(schemathesis_candidates(&path)).ok_or(XtaskError::SchemathesisMissing {
        version: SCHEMATHESIS_VERSION,
    })
}

/// Where a pinned npm tool is installed: `$HOME/.cache/crosscode-tools/NAME-VERSION`
/// (outside the clone, like the build cache).
pub fn npm_tool_prefix(home: &Path, name: &str, version: &str) -> PathBuf {
    home.join(".cache")
        .join("crosscode-tools")
        .join(format!("{name}-{version}"))
}

/// The npm command that installs `package@version` into `prefix`.
pub fn npm_install(prefix: &Path, package: &str, version: &str) -> CommandLine {
    CommandLine::new("npm", ["install", "--no-audit", "--no-fund", "--prefix"])
        .args([prefix.as_os_str().to_owned()])
        .args([format!("{package}@{version}")])
}

/// The folder of `package` inside an npm prefix.
pub fn npm_package(prefix: &Path, package: &str) -> PathBuf {
    prefix.join("node_modules").join(package)
}

/// `$HOME` (the system's temporary folder when it is not set).
fn home() -> PathBuf {
    env::var_os("HOME").map_or_else(env::temp_dir, PathBuf::from)
}

/// Runs `install` (an npm install into `prefix`) unless `installed` holds for `package`'s
/// folder there; the folder.
fn ensure_npm_package(
    prefix: &Path,
    package: &str,
    install: impl FnOnce(&Path) -> CommandLine,
    installed: impl Fn(&Path) -> bool,
) -> Result<PathBuf, XtaskError> {
    let folder = npm_package(prefix, package);
    if !installed(&folder) {
        std::fs::create_dir_all(prefix).map_err(|source| XtaskError::Io {
            path: prefix.to_path_buf(),
            source,
        })?;
        install(prefix).run()?;
    }
    Ok(folder)
}

/// Where the pinned Kotlin compiler is installed: `$HOME/.cache/crosscode-tools/kotlin-VERSION`.
pub fn kotlin_prefix(home: &Path) -> PathBuf {
    npm_tool_prefix(home, "kotlin", KOTLIN_VERSION)
}

/// The npm command that installs the pinned Kotlin compiler into `prefix`.
pub fn kotlin_install(prefix: &Path) -> CommandLine {
    npm_install(prefix, "kotlin-compiler", KOTLIN_VERSION)
}

/// The pinned Kotlin compiler's home, installed with npm when it is not there yet.
pub fn ensure_kotlin() -> Result<PathBuf, XtaskError> {
    let kotlin = ensure_npm_package(
        &kotlin_prefix(&home()),
        "kotlin-compiler",
        kotlin_install,
        |folder| folder.join("bin").join("kotlinc").is_file(),
    )?;
    installed_kotlin(kotlin)
}

/// Where the pinned playwright-core is installed:
/// `$HOME/.cache/crosscode-tools/playwright-core-VERSION`.
pub fn playwright_core_prefix(home: &Path) -> PathBuf {
    npm_tool_prefix(home, "playwright-core", PLAYWRIGHT_CORE_VERSION)
}

/// The npm command that installs the pinned playwright-core into `prefix`.
pub fn playwright_core_install(prefix: &Path) -> CommandLine {
    npm_install(prefix, "playwright-core", PLAYWRIGHT_CORE_VERSION)
}

/// The version in an npm package's `package.json` text (`"version": "1.65.1"`).
pub fn package_version(package_json: &str) -> Option<&str> {
    let (_, after) = package_json.split_once("\"version\"")?;
    let after = after.trim_start().strip_prefix(':')?.trim_start();
    let value = after.strip_prefix('"')?;
    value.split_once('"').map(|(version, _)| version)
}

/// Whether `folder` holds playwright-core of the pinned version.
fn is_pinned_playwright_core(folder: &Path) -> bool {
    std::fs::read_to_string(folder.join("package.json"))
        .is_ok_and(|text| package_version(&text) == Some(PLAYWRIGHT_CORE_VERSION))
}

/// The pinned playwright-core's folder, installed with npm when it is not there yet.
pub fn ensure_playwright_core() -> Result<PathBuf, XtaskError> {
    let folder = ensure_npm_package(
        &playwright_core_prefix(&home()),
        "playwright-core",
        playwright_core_install,
        is_pinned_playwright_core,
    )?;
    installed_playwright_core(folder)
}

/// `folder` when it holds the pinned playwright-core, else
/// [`XtaskError::PlaywrightCoreMissing`] naming it.
pub fn installed_playwright_core(folder: PathBuf) -> Result<PathBuf, XtaskError> {
    if is_pinned_playwright_core(&folder) {
        Ok(folder)
    } else {
        Err(XtaskError::PlaywrightCoreMissing { path: folder })
    }
}

/// `kotlin` when it holds `bin/kotlinc`, else [`XtaskError::KotlinMissing`] naming it.
pub fn installed_kotlin(kotlin: PathBuf) -> Result<PathBuf, XtaskError> {
    if kotlin.join("bin").join("kotlinc").is_file() {
        Ok(kotlin)
    } else {
        Err(XtaskError::KotlinMissing { path: kotlin })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vectors_are_beside_the_workspace_unless_the_variable_names_them() {
        let root = Path::new("/src/crosscode");
        assert_eq!(
            vectors_dir(None, root),
            Path::new("/src/crosscode/../shared/vectors")
        );
        assert_eq!(
            vectors_dir(Some("".into()), root),
            Path::new("/src/crosscode/../shared/vectors")
        );
        assert_eq!(
            vectors_dir(Some("/data/vectors".into()), root),
            Path::new("/data/vectors")
        );
    }

    #[test]
    fn missing_vectors_are_an_error_naming_the_path() {
        let dir = std::env::temp_dir().join(format!("xtask-no-vectors-{}", std::process::id()));
        let err = ensure_vectors(dir.clone()).unwrap_err();
        assert!(matches!(&err, XtaskError::VectorsMissing { path } if path == &dir));
        assert!(err.to_string().contains(&dir.display().to_string()));
        ensure_vectors(std::env::temp_dir()).unwrap();
    }

    #[test]
    fn kotlin_is_installed_pinned_with_npm_into_the_tools_cache() {
        let prefix = kotlin_prefix(Path::new("/home/ci"));
        assert_eq!(
            prefix,
            Path::new(&format!(
                "/home/ci/.cache/crosscode-tools/kotlin-{KOTLIN_VERSION}"
            ))
        );
        assert_eq!(
            npm_package(&prefix, "kotlin-compiler"),
            prefix.join("node_modules/kotlin-compiler")
        );
        assert_eq!(
            kotlin_install(&prefix).to_string(),
            format!(
                "npm install --no-audit --no-fund --prefix {} kotlin-compiler@{KOTLIN_VERSION}",
                prefix.display()
            )
        );
    }

    #[test]
    fn playwright_core_is_installed_pinned_with_npm_into_the_tools_cache() {
        let prefix = playwright_core_prefix(Path::new("/home/ci"));
        assert_eq!(
            prefix,
            Path::new(&format!(
                "/home/ci/.cache/crosscode-tools/playwright-core-{PLAYWRIGHT_CORE_VERSION}"
            ))
        );
        assert_eq!(
            npm_package(&prefix, "playwright-core"),
            prefix.join("node_modules/playwright-core")
        );
        assert_eq!(
            playwright_core_install(&prefix).to_string(),
            format!(
                "npm install --no-audit --no-fund --prefix {} playwright-core@{PLAYWRIGHT_CORE_VERSION}",
                prefix.display()
            )
        );
    }

    #[test]
    fn the_version_of_an_npm_package_is_read_from_its_package_json() {
        assert_eq!(
            package_version("{\n  \"name\": \"playwright-core\",\n  \"version\": \"1.65.1\",\n}"),
            Some("1.65.1")
        );
        assert_eq!(package_version("{\"name\": \"x\"}"), None);
    }

    #[test]
    fn a_playwright_core_folder_of_another_version_is_an_error_naming_it_and_the_variable() {
        let folder = std::env::temp_dir().join(format!("xtask-playwright-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let err = installed_playwright_core(folder.clone()).unwrap_err();
        assert!(matches!(&err, XtaskError::PlaywrightCoreMissing { path } if path == &folder));
        let message = err.to_string();
        assert!(message.contains(&folder.display().to_string()), "{message}");
        assert!(message.contains(PLAYWRIGHT_CORE_ENV), "{message}");
        std::fs::write(folder.join("package.json"), r#"{"version": "1.0.0"}"#).unwrap();
        assert!(installed_playwright_core(folder.clone()).is_err());
        std::fs::write(
            folder.join("package.json"),
            format!(r#"{{"name": "playwright-core", "version": "{PLAYWRIGHT_CORE_VERSION}"}}"#),
        )
        .unwrap();
        assert_eq!(installed_playwright_core(folder.clone()).unwrap(), folder);
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn python_packages_are_installed_with_pip_quietly() {
        assert_eq!(
            pip_install("cryptography==48.0.0", true).to_string(),
            "python3 -m pip install --quiet cryptography==48.0.0 --break-system-packages"
        );
    }

    #[test]
    fn a_kotlin_home_without_kotlinc_is_an_error_naming_it_and_the_variable() {
        let home = std::env::temp_dir().join(format!("xtask-kotlin-{}", std::process::id()));
        std::fs::create_dir_all(home.join("bin")).unwrap();
        let err = installed_kotlin(home.clone()).unwrap_err();
        assert!(matches!(&err, XtaskError::KotlinMissing { path } if path == &home));
        let message = err.to_string();
        assert!(message.contains(&home.display().to_string()), "{message}");
        assert!(message.contains(KOTLIN_HOME_ENV), "{message}");
        std::fs::write(home.join("bin").join("kotlinc"), b"").unwrap();
        assert_eq!(installed_kotlin(home.clone()).unwrap(), home);
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn the_schemathesis_version_is_read_from_its_version_line() {
        assert_eq!(
            schemathesis_version("schemathesis, version 4.32.5\n"),
            Some("4.32.5")
        );
        assert_eq!(schemathesis_version("st 0.9\n"), None);
    }

    #[test]
    fn schemathesis_is_installed_pinned_with_pip() {
        assert_eq!(
            schemathesis_install(false).to_string(),
            format!("python3 -m pip install --quiet schemathesis=={SCHEMATHESIS_VERSION}")
        );
        assert_eq!(
            schemathesis_install(true).to_string(),
            format!(
                "python3 -m pip install --quiet schemathesis=={SCHEMATHESIS_VERSION} \
                 --break-system-packages"
            )
        );
    }
}
