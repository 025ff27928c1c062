//! `cargo xtask`: the project's tasks, each of which first installs what a fresh machine lacks
//! and then runs the real command (matrix-rust-sdk's habit: an `xtask` crate with no
//! dependencies, reached through the alias in `.cargo/config.toml`, so it builds in seconds
//! on a machine that cannot build the workspace yet).
//!
//! ```text
//! cargo xtask demo [ARGS]   set-up, then `cargo run --release -p crosscode-cli -- demo ARGS`
//! cargo xtask test [ARGS]   set-up + test tools, then `cargo nextest run --workspace ARGS`
//! cargo xtask lint          set-up, then `cargo fmt --all -- --check` and
//!                           `cargo clippy --workspace --all-targets --locked -- -D warnings`
//! cargo xtask ci            lint, then test (what `.ci/run` does)
//! ```
//!
//! The set-up, in order, each step only when something is missing:
//!
//! 1. **System packages** (Debian): a C compiler (`gcc`) and the C library's headers
//!    (`libc6-dev`) for blst and RocksDB, `g++` and `make` for RocksDB, and libclang
//!    (`clang`, `libclang-dev`), which bindgen loads to generate RocksDB's bindings. libclang
//!    counts as present when a `libclang*.so*` is in `$LIBCLANG_PATH` or in a
//!    `/usr/lib/llvm-*/lib`. As root the missing ones are installed with
//!    `apt-get update` and `apt-get install -y --no-install-recommends ...`
//!    (`DEBIAN_FRONTEND=noninteractive`); otherwise the task prints the one `sudo apt-get ...`
//!    line to run and exits 1 without building anything. For `test` (and `ci`) also
//!    PostgreSQL's server (`postgresql`; present when a `/usr/lib/postgresql/<version>/bin`
//!    has `initdb` and `pg_ctl`): the issuer's PostgreSQL store tests start a throwaway
//!    cluster from it, and fail without it.
//! 2. For `test`: `cargo-nextest` (`cargo install cargo-nextest --locked`); the shared test
//!    vectors (`$CROSSCODE_VECTORS`, default `../shared/vectors` beside the workspace root;
//!    missing, the task stops naming the path); schemathesis, pinned
//!    ([`tools::SCHEMATHESIS_VERSION`]), installed with `python3 -m pip install` when no
//!    `schemathesis` / `st` of that version is found (again with `--break-system-packages`
//!    when that fails, as it does for Debian's own `python3`). Its path is handed to the tests in
//!    `$CROSSCODE_SCHEMATHESIS` (the registry node's OpenAPI property test runs it; a value
//!    already set is kept and nothing is installed). The Kotlin compiler, pinned
//!    ([`tools::KOTLIN_VERSION`], npm package `kotlin-compiler`), installed with npm into
//!    `$HOME/.cache/crosscode-tools/` when missing and handed to the tests in
//!    `$CROSSCODE_KOTLIN_HOME` (the mobile bindings' Kotlin smoke test compiles with it; again a
//!    value already set is kept). Python's `cryptography` (pinned), with pip when `python3`
//!    cannot import it: the mobile bindings' Python suite signs with it. playwright-core,
//!    pinned ([`tools::PLAYWRIGHT_CORE_VERSION`]), installed with npm into
//!    `$HOME/.cache/crosscode-tools/` when missing (or another version) and handed to the tests
//!    in `$CROSSCODE_PLAYWRIGHT_CORE` (the gate page's Chromium test drives the browser with it;
//!    a value already set is kept). The system packages for `test` also include a JDK
//!    (`openjdk-17-jdk-headless`), JNA (`libjna-java`), `npm`, Debian's Chromium (`chromium`,
//!    present when `/usr/bin/chromium` is) and a font for its screenshots
//!    (`fonts-dejavu-core`).
//! 3. For `lint`: the `rustfmt` and `clippy` components (`rustup component add`).
//!
//! Every command run is printed first (`xtask: $ ...`) on standard error. The real command
//! runs in the workspace root with the terminal's streams, and its exit code is the task's.
//! A failed set-up step exits with that step's code (1 when it has none).

mod command;
mod system;
mod tools;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use command::CommandLine;

/// Why a task stopped.
#[derive(Debug)]
pub enum XtaskError {
    /// The arguments name no task.
    Usage(String),
    /// A command could not be started.
    Spawn {
        /// The command line.
        command: String,
        /// Why it did not start.
        source: std::io::Error,
    },
    /// A command exited non-zero (`code` is `None` when a signal ended it).
    Failed {
        /// The command line.
        command: String,
        /// Its exit code.
        code: Option<i32>,
    },
    /// System packages are missing and this user cannot install them.
    PackagesMissing {
        /// The packages, space-separated.
        packages: String,
        /// The command that installs them.
        command: String,
    },
    /// Packages are still missing after `apt-get install`.
    StillMissing {
        /// What the probe still does not find.
        packages: String,
    },
    /// The shared test vectors are not where the tests read them.
    VectorsMissing {
        /// The folder looked at.
        path: PathBuf,
    },
    /// No schemathesis of the pinned version runs, even after installing it.
    SchemathesisMissing {
        /// The pinned version.
        version: &'static str,
    },
    /// The Kotlin compiler is not where npm was told to install it.
    KotlinMissing {
        /// The compiler's expected home.
        path: PathBuf,
    },
    /// playwright-core is not where npm was told to install it (or is another version).
    PlaywrightCoreMissing {
        /// The package's expected folder.
        path: PathBuf,
    },
    /// A folder or file of the set-up could not be written.
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl fmt::Display for XtaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) => write!(f, "{message}\n\n{USAGE}"),
            Self::Spawn { command, source } => write!(f, "could not start `{command}`: {source}"),
            Self::Failed {
                command,
                code: Some(code),
            } => write!(f, "`{command}` exited with {code}"),
            Self::Failed {
                command,
                code: None,
            } => write!(f, "`{command}` was ended by a signal"),
            Self::PackagesMissing { packages, command } => write!(
                f,
                "this task needs these Debian packages: {packages}\n\
                 Install them as root, then run this task again:\n    {command}"
            ),
            Self::StillMissing { packages } => write!(
                f,
                "after apt-get install, this task still lacks: {packages} \
                 (set LIBCLANG_PATH to the folder of libclang.so if it is elsewhere)"
            ),
            Self::VectorsMissing { path } => write!(
                f,
                "the shared test vectors are missing at {} (set CROSSCODE_VECTORS to their folder)",
                path.display()
            ),
            Self::SchemathesisMissing { version } => write!(
                f,
                "schemathesis {version} was installed with pip but no `schemathesis` of that \
                 version runs (is python3's scripts folder on PATH?); set {} to its path",
                tools::SCHEMATHESIS_ENV
            ),
            Self::KotlinMissing { path } => write!(
                f,
                "npm installed kotlin-compiler {} but {} has no bin/kotlinc; set {} to a \
                 Kotlin compiler's home",
                tools::KOTLIN_VERSION,
                path.display(),
                tools::KOTLIN_HOME_ENV
            ),
            Self::PlaywrightCoreMissing { path } => write!(
                f,
                "npm installed playwright-core {} but {} does not hold it; set {} to a \
                 playwright-core package folder",
                tools::PLAYWRIGHT_CORE_VERSION,
                path.display(),
                tools::PLAYWRIGHT_CORE_ENV
            ),
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for XtaskError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Spawn { source, .. } | Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl XtaskError {
    /// The process exit code for this error: a failed command's own code, else 1.
    fn exit_code(&self) -> u8 {
        match self {
            Self::Failed {
                code: Some(code), ..
            } => u8::try_from(*code).ok().filter(|c| *c != 0).unwrap_or(1),
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}

const USAGE: &str = "usage: cargo xtask <task> [ARGS]
  demo [ARGS]   install what is missing, then run `crosscode demo ARGS` (release build)
  test [ARGS]   install what is missing, then `cargo nextest run --workspace ARGS`
  lint          install what is missing, then `cargo fmt --check` and `cargo clippy -D warnings`
  ci            lint, then test
  help          this text";

/// A task and its arguments.
#[derive(Debug, PartialEq, Eq)]
enum Task {
    Demo(Vec<OsString>),
    Test(Vec<OsString>),
    Lint,
    Ci,
    Help,
}

/// The task named by the command-line arguments (program name excluded).
fn parse_task(mut args: impl Iterator<Item = OsString>) -> Result<Task, XtaskError> {
    let Some(name) = args.next() else {
        return Err(XtaskError::Usage("no task given".into()));
    };
    let rest: Vec<OsString> = args.collect();
    let no_args = |task: Task, name: &str| {
        if rest.is_empty() {
            Ok(task)
        } else {
            Err(XtaskError::Usage(format!("`{name}` takes no arguments")))
        }
    };
    match name.to_str() {
        Some("demo") => Ok(Task::Demo(rest)),
        Some("test") => Ok(Task::Test(rest)),
        Some("lint") => no_args(Task::Lint, "lint"),
        Some("ci") => no_args(Task::Ci, "ci"),
        Some("help" | "--help" | "-h") => Ok(Task::Help),
        _ => Err(XtaskError::Usage(format!(
            "unknown task `{}`",
            name.to_string_lossy()
        ))),
    }
}

/// The workspace root (this crate's parent folder).
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// `cargo run --release -p crosscode-cli -- demo ARGS`.
fn demo_command(cargo: OsString, args: &[OsString]) -> CommandLine {
    CommandLine::new(
        cargo,
        ["run", "--release", "-p", "crosscode-cli", "--", "demo"],
    )
    .args(args.iter().cloned())
}

/// `cargo nextest run --workspace ARGS`, told where the test tools are (`tools`: variable
/// name and path, e.g. schemathesis and the Kotlin compiler).
fn test_command(
    cargo: OsString,
    args: &[OsString],
    tools: Vec<(&'static str, PathBuf)>,
) -> CommandLine {
    tools.into_iter().fold(
        CommandLine::new(cargo, ["nextest", "run", "--workspace"]).args(args.iter().cloned()),
        |command, (name, path)| command.env(name, path),
    )
}

/// The two lint commands.
fn lint_commands(cargo: &OsString) -> [CommandLine; 2] {
    [
        CommandLine::new(cargo, ["fmt", "--all", "--", "--check"]),
        CommandLine::new(
            cargo,
            [
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ],
        ),
    ]
}

fn demo(root: &Path, args: &[OsString]) -> Result<(), XtaskError> {
    system::ensure_packages(system::Needs::Build)?;
    demo_command(tools::cargo(), args).in_dir(root).run()
}

fn test(root: &Path, args: &[OsString]) -> Result<(), XtaskError> {
    system::ensure_packages(system::Needs::Test)?;
    tools::ensure_nextest()?;
    tools::ensure_vectors(tools::vectors_dir(
        std::env::var_os(tools::VECTORS_ENV),
        root,
    ))?;
    let mut test_tools = Vec::new();
    if std::env::var_os(tools::SCHEMATHESIS_ENV).is_none() {
        test_tools.push((tools::SCHEMATHESIS_ENV, tools::ensure_schemathesis()?));
    }
    tools::ensure_python_cryptography()?;
    if std::env::var_os(tools::KOTLIN_HOME_ENV).is_none() {
        test_tools.push((tools::KOTLIN_HOME_ENV, tools::ensure_kotlin()?));
    }
    if std::env::var_os(tools::PLAYWRIGHT_CORE_ENV).is_none() {
        test_tools.push((tools::PLAYWRIGHT_CORE_ENV, tools::ensure_playwright_core()?));
    }
    test_command(tools::cargo(), args, test_tools)
        .in_dir(root)
        .run()
}

fn lint(root: &Path) -> Result<(), XtaskError> {
    system::ensure_packages(system::Needs::Build)?;
    tools::ensure_lint_components()?;
    for command in lint_commands(&tools::cargo()) {
        command.in_dir(root).run()?;
    }
    Ok(())
}

fn run(task: Task) -> Result<(), XtaskError> {
    let root = workspace_root();
    match task {
        Task::Demo(args) => demo(&root, &args),
        Task::Test(args) => test(&root, &args),
        Task::Lint => lint(&root),
        Task::Ci => lint(&root).and_then(|()| test(&root, &[])),
        Task::Help => {
            println!("{USAGE}");
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match parse_task(std::env::args_os().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> impl Iterator<Item = OsString> {
        words
            .iter()
            .map(OsString::from)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn demo_and_test_pass_their_arguments_on() {
        assert_eq!(
            parse_task(args(&["demo", "--help"])).unwrap(),
            Task::Demo(vec!["--help".into()])
        );
        assert_eq!(
            parse_task(args(&["test", "-E", "package(xtask)"])).unwrap(),
            Task::Test(vec!["-E".into(), "package(xtask)".into()])
        );
        assert_eq!(parse_task(args(&["ci"])).unwrap(), Task::Ci);
        assert_eq!(parse_task(args(&["lint"])).unwrap(), Task::Lint);
    }

    #[test]
    fn an_unknown_or_missing_task_is_a_usage_error_with_exit_code_2() {
        for words in [&["deploy"][..], &[], &["ci", "--fast"]] {
            let err = parse_task(args(words)).unwrap_err();
            assert!(matches!(err, XtaskError::Usage(_)), "{words:?}");
            assert_eq!(err.exit_code(), 2);
            assert!(err.to_string().contains("usage: cargo xtask"));
        }
    }

    #[test]
    fn the_demo_command_is_the_release_cli_demo_with_the_arguments() {
        let line = demo_command("cargo".into(), &["--out".into(), "x y".into()]);
        assert_eq!(
            line.to_string(),
            "cargo run --release -p crosscode-cli -- demo --out 'x y'"
        );
    }

    #[test]
    fn the_test_command_is_nextest_over_the_workspace_told_where_the_tools_are() {
        let line = test_command(
            "cargo".into(),
            &["-E".into(), "package(xtask)".into()],
            vec![
                (tools::SCHEMATHESIS_ENV, "/opt/st/bin/schemathesis".into()),
                (tools::KOTLIN_HOME_ENV, "/opt/kotlin".into()),
            ],
        );
        assert_eq!(
            line.to_string(),
            "CROSSCODE_SCHEMATHESIS=/opt/st/bin/schemathesis CROSSCODE_KOTLIN_HOME=/opt/kotlin \
             cargo nextest run --workspace -E 'package(xtask)'"
        );
        let kept = test_command("cargo".into(), &[], Vec::new());
        assert_eq!(kept.to_string(), "cargo nextest run --workspace");
    }

    #[test]
    fn the_lint_commands_check_formatting_then_deny_clippy_warnings() {
        let [fmt, clippy] = lint_commands(&"cargo".into());
        assert_eq!(fmt.to_string(), "cargo fmt --all -- --check");
        assert_eq!(
            clippy.to_string(),
            "cargo clippy --workspace --all-targets --locked -- -D warnings"
        );
    }

    #[test]
    fn a_failed_command_exits_with_its_own_code_and_other_failures_with_1() {
        let failed = |code| XtaskError::Failed {
            command: "cargo".into(),
            code,
        };
        assert_eq!(failed(Some(101)).exit_code(), 101);
        assert_eq!(failed(Some(300)).exit_code(), 1);
        assert_eq!(failed(None).exit_code(), 1);
        let missing = XtaskError::PackagesMissing {
            packages: "clang libclang-dev".into(),
            command: system::sudo_hint(&["clang", "libclang-dev"]),
        };
        assert_eq!(missing.exit_code(), 1);
        assert!(missing.to_string().contains(
            "sudo apt-get update && sudo apt-get install -y --no-install-recommends clang libclang-dev"
        ));
    }

    #[test]
    fn the_workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }
}
