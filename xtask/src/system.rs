//! The Debian packages the build (and, for the tests, PostgreSQL) needs: probing for them, and
//! installing the missing ones (`apt-get`, as root) or naming the command to run (not root).

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::XtaskError;
use crate::command::CommandLine;

/// What the build needs from the system, as found on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Probe {
    /// A C compiler `cc` on `PATH` (blst, RocksDB's C parts, `ring`-style build scripts).
    pub c_compiler: bool,
    /// The C library's headers (`/usr/include/stdio.h`; gcc only recommends `libc6-dev`).
    pub c_headers: bool,
    /// A C++ compiler `c++` on `PATH` (RocksDB).
    pub cxx_compiler: bool,
    /// `make` on `PATH`.
    pub make: bool,
    /// libclang, which bindgen loads at build time for RocksDB's bindings.
    pub libclang: bool,
    /// PostgreSQL's server programs (`/usr/lib/postgresql/<version>/bin/initdb` and
    /// `pg_ctl`), from which the issuer's PostgreSQL store tests start a throwaway cluster.
    pub postgres_server: bool,
    /// A JDK (`java` and `javac` on `PATH`): the Kotlin smoke test of the mobile bindings runs on
    /// the JVM.
    pub jdk: bool,
    /// JNA (`/usr/share/java/jna.jar`, Debian `libjna-java`): UniFFI's Kotlin bindings load the
    /// native library through it.
    pub jna: bool,
    /// `npm` on `PATH`: it installs the Kotlin compiler (npm package `kotlin-compiler`) and
    /// playwright-core.
    pub npm: bool,
    /// Debian's Chromium (`/usr/bin/chromium`): the gate page's end-to-end test drives it
    /// headless through playwright-core.
    pub chromium: bool,
    /// A font for Chromium's text (`fonts-dejavu-core`): the gate page's screenshots.
    pub fonts: bool,
}

/// Where Debian's `libjna-java` puts JNA.
pub const JNA_JAR: &str = "/usr/share/java/jna.jar";

/// Where Debian's `chromium` puts the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A font file of Debian's `fonts-dejavu-core`.
pub const DEJAVU_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// What a task needs from the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Building the workspace (`demo`, `lint`).
    Build,
    /// Building and testing it (`test`, `ci`): also PostgreSQL, a JDK, JNA, npm, Chromium and
    /// a font.
    Test,
}

impl Probe {
    /// Probes this machine.
    pub fn of_this_machine() -> Self {
        let path = env::var_os("PATH").unwrap_or_default();
        let on_path = |name: &str| find_on_path(name, &path).is_some();
        Self {
            c_compiler: on_path("cc"),
            c_headers: Path::new("/usr/include/stdio.h").is_file(),
            cxx_compiler: on_path("c++"),
            make: on_path("make"),
            libclang: libclang_present(),
            postgres_server: postgres_server_present(Path::new("/usr/lib/postgresql")),
            jdk: on_path("java") && on_path("javac"),
            jna: Path::new(JNA_JAR).is_file(),
            npm: on_path("npm"),
            chromium: Path::new(CHROMIUM).is_file(),
            fonts: Path::new(DEJAVU_FONT).is_file(),
        }
    }
}

/// The Debian packages to install for what `probe` lacks of what `needs` asks for (in a fixed
/// order, no repeats).
pub fn missing_packages(probe: &Probe, needs: Needs) -> Vec<&'static str> {
    let mut packages = Vec::new();
    if !probe.c_compiler {
        packages.push("gcc");
    }
    if !probe.c_headers {
        packages.push("libc6-dev");
    }
    if !probe.cxx_compiler {
        packages.push("g++");
    }
    if !probe.make {
        packages.push("make");
    }
    if !probe.libclang {
        packages.extend(["clang", "libclang-dev"]);
    }
    if needs == Needs::Test {
        if !probe.postgres_server {
            packages.push("postgresql");
        }
        if !probe.jdk {
            packages.push("openjdk-17-jdk-headless");
        }
        if !probe.jna {
            packages.push("libjna-java");
        }
        if !probe.npm {
            packages.push("npm");
        }
        if !probe.chromium {
            packages.push("chromium");
        }
        if !probe.fonts {
            packages.push("fonts-dejavu-core");
        }
    }
    packages
}

/// Whether a version folder under `root` (Debian's `/usr/lib/postgresql`) has `bin/initdb`
/// and `bin/pg_ctl`.
pub fn postgres_server_present(root: &Path) -> bool {
    std::fs::read_dir(root).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| {
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()
        })
    })
}

/// The two commands that install `packages` as root: `apt-get update`, then
/// `apt-get install -y --no-install-recommends ...`, both non-interactive.
pub fn apt_commands(packages: &[&str]) -> [CommandLine; 2] {
    [
        CommandLine::new("apt-get", ["update", "-qq"]).env("DEBIAN_FRONTEND", "noninteractive"),
        CommandLine::new(
            "apt-get",
            ["install", "-y", "-qq", "--no-install-recommends"],
        )
        .args(packages.iter().copied())
        .env("DEBIAN_FRONTEND", "noninteractive"),
    ]
}

/// The command a user who is not root runs to install `packages`.
pub fn sudo_hint(packages: &[&str]) -> String {
    format!(
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    )
}

/// The effective user id from the text of `/proc/self/status` (its `Uid:` line holds the
/// real, effective, saved and file-system ids).
pub fn effective_uid(proc_status: &str) -> Option<u32> {
    proc_status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|id| id.parse().ok())
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| effective_uid(&text))
        == Some(0)
}

/// Whether a file name is a loadable libclang (`libclang.so`, `libclang.so.1`,
/// `libclang-14.so.1`, not `libclang-cpp.so`), as clang-sys looks for it.
pub fn is_libclang_file(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("libclang") else {
        return false;
    };
    let suffix = match rest.strip_prefix('-') {
        Some(versioned) => {
            let Some(at) = versioned.find(".so") else {
                return false;
            };
            let version = &versioned[..at];
            if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return false;
            }
            &versioned[at..]
        }
        None => rest,
    };
    suffix == ".so" || suffix.starts_with(".so.")
}

/// Whether one of `files` is a libclang.
pub fn has_libclang<I, P>(files: I) -> bool
where
    I: IntoIterator<Item = P>,
    P: AsRef<Path>,
{
    files.into_iter().any(|file| {
        file.as_ref()
            .file_name()
            .and_then(OsStr::to_str)
            .is_some_and(is_libclang_file)
    })
}

/// The folders where libclang is looked for: `$LIBCLANG_PATH` (a folder, or the library
/// itself), then every `/usr/lib/llvm-*/lib`.
fn libclang_folders() -> Vec<PathBuf> {
    let mut folders = Vec::new();
    if let Some(given) = env::var_os("LIBCLANG_PATH").map(PathBuf::from) {
        if given.is_file() {
            folders.extend(given.parent().map(Path::to_path_buf));
        } else {
            folders.push(given);
        }
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        let mut llvm: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("llvm-"))
            .map(|e| e.path().join("lib"))
            .collect();
        llvm.sort();
        folders.extend(llvm);
    }
    folders
}

fn libclang_present() -> bool {
    libclang_folders().iter().any(|folder| {
        std::fs::read_dir(folder).is_ok_and(|entries| {
            has_libclang(entries.filter_map(Result::ok).map(|entry| entry.path()))
        })
    })
}

/// The first `name` in the `PATH`-style list `path` that is a file.
pub fn find_on_path(name: &str, path: &OsStr) -> Option<PathBuf> {
    env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Makes sure the system packages of `needs` are there: installs the missing ones when root,
/// or fails with the command to run otherwise.
pub fn ensure_packages(needs: Needs) -> Result<(), XtaskError> {
    let missing = missing_packages(&Probe::of_this_machine(), needs);
    if missing.is_empty() {
        return Ok(());
    }
    let path = env::var_os("PATH").unwrap_or_default();
    if !is_root() || find_on_path("apt-get", &path).is_none() {
        return Err(XtaskError::PackagesMissing {
            packages: missing.join(" "),
            command: sudo_hint(&missing),
        });
    }
    eprintln!(
        "xtask: installing what the build needs: {}",
        missing.join(" ")
    );
    for command in apt_commands(&missing) {
        command.run()?;
    }
    let still = missing_packages(&Probe::of_this_machine(), needs);
    if still.is_empty() {
        Ok(())
    } else {
        Err(XtaskError::StillMissing {
            packages: still.join(" "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_THERE: Probe = Probe {
        c_compiler: true,
        c_headers: true,
        cxx_compiler: true,
        make: true,
        libclang: true,
        postgres_server: true,
        jdk: true,
        jna: true,
        npm: true,
        chromium: true,
        fonts: true,
    };

    #[test]
    fn a_complete_machine_needs_no_package() {
        assert!(missing_packages(&ALL_THERE, Needs::Test).is_empty());
    }

    #[test]
    fn a_machine_without_libclang_needs_clang_and_libclang_dev() {
        let probe = Probe {
            libclang: false,
            ..ALL_THERE
        };
        assert_eq!(
            missing_packages(&probe, Needs::Build),
            ["clang", "libclang-dev"]
        );
    }

    #[test]
    fn a_bare_machine_needs_every_package_once_in_a_fixed_order() {
        assert_eq!(
            missing_packages(&Probe::default(), Needs::Test),
            [
                "gcc",
                "libc6-dev",
                "g++",
                "make",
                "clang",
                "libclang-dev",
                "postgresql",
                "openjdk-17-jdk-headless",
                "libjna-java",
                "npm",
                "chromium",
                "fonts-dejavu-core"
            ]
        );
    }

    #[test]
    fn only_the_tests_need_the_jvm_jna_and_npm() {
        let probe = Probe {
            jdk: false,
            jna: false,
            npm: false,
            ..ALL_THERE
        };
        assert!(missing_packages(&probe, Needs::Build).is_empty());
        assert_eq!(
            missing_packages(&probe, Needs::Test),
            ["openjdk-17-jdk-headless", "libjna-java", "npm"]
        );
    }

    #[test]
    fn only_the_tests_need_chromium_and_a_font() {
        let probe = Probe {
            chromium: false,
            fonts: false,
            ..ALL_THERE
        };
        assert!(missing_packages(&probe, Needs::Build).is_empty());
        assert_eq!(
            missing_packages(&probe, Needs::Test),
            ["chromium", "fonts-dejavu-core"]
        );
    }

    #[test]
    fn only_the_tests_need_postgresql() {
        let probe = Probe {
            postgres_server: false,
            ..ALL_THERE
        };
        assert_eq!(missing_packages(&probe, Needs::Test), ["postgresql"]);
        assert!(missing_packages(&probe, Needs::Build).is_empty());
    }

    #[test]
    fn a_postgresql_version_folder_with_initdb_and_pg_ctl_is_a_server() {
        let root = std::env::temp_dir().join(format!("xtask-pg-{}", std::process::id()));
        let bin = root.join("15").join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("initdb"), "").unwrap();
        assert!(!postgres_server_present(&root));
        std::fs::write(bin.join("pg_ctl"), "").unwrap();
        assert!(postgres_server_present(&root));
        assert!(!postgres_server_present(&root.join("none")));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn gcc_without_the_c_library_headers_needs_libc6_dev() {
        let probe = Probe {
            c_headers: false,
            ..ALL_THERE
        };
        assert_eq!(missing_packages(&probe, Needs::Build), ["libc6-dev"]);
    }

    #[test]
    fn the_apt_commands_update_then_install_without_recommends_non_interactively() {
        let [update, install] = apt_commands(&["g++", "make"]);
        assert_eq!(
            update.to_string(),
            "DEBIAN_FRONTEND=noninteractive apt-get update -qq"
        );
        assert_eq!(
            install.to_string(),
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends g++ make"
        );
    }

    #[test]
    fn the_hint_for_a_user_who_is_not_root_is_one_sudo_command_line() {
        assert_eq!(
            sudo_hint(&["clang", "libclang-dev"]),
            "sudo apt-get update && sudo apt-get install -y --no-install-recommends clang libclang-dev"
        );
    }

    #[test]
    fn the_effective_uid_is_the_second_id_of_the_uid_line() {
        let status =
            "Name:\txtask\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(effective_uid(status), Some(0));
        assert_eq!(effective_uid("Name:\txtask\n"), None);
        assert_eq!(effective_uid("Uid:\t1000\n"), None);
    }

    #[test]
    fn libclang_is_recognised_by_its_file_names_but_libclang_cpp_is_not() {
        for name in [
            "libclang.so",
            "libclang.so.1",
            "libclang-14.so.1",
            "libclang-14.0.6.so",
        ] {
            assert!(is_libclang_file(name), "{name}");
        }
        for name in [
            "libclang-cpp.so.14",
            "libclang.a",
            "libclangAST.a",
            "libLLVM-14.so",
            "clang",
        ] {
            assert!(!is_libclang_file(name), "{name}");
        }
    }

    #[test]
    fn a_folder_listing_with_libclang_so_has_libclang() {
        assert!(has_libclang([
            "/usr/lib/llvm-14/lib/libLLVM-14.so",
            "/usr/lib/llvm-14/lib/libclang.so.1",
        ]));
        assert!(!has_libclang(["/usr/lib/llvm-14/lib/libclang-cpp.so.14"]));
        assert!(!has_libclang(Vec::<PathBuf>::new()));
    }

    #[test]
    fn a_program_is_found_on_a_path_list_only_where_it_is_a_file() {
        let dir = std::env::temp_dir().join(format!("xtask-path-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("bin/tool"), "").unwrap();
        let path = env::join_paths([dir.join("none"), dir.join("bin")]).unwrap();
        assert_eq!(find_on_path("tool", &path), Some(dir.join("bin/tool")));
        assert_eq!(find_on_path("bin", &env::join_paths([&dir]).unwrap()), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
