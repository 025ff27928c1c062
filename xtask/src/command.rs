//! A command line to run (program, arguments, extra environment), printable the way a shell
//! would take it, and run with the terminal's standard streams.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::XtaskError;

/// A command line: program, arguments and the environment variables it sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// The program (a name looked up on `PATH`, or a path).
    pub program: OsString,
    /// The arguments.
    pub args: Vec<OsString>,
    /// Environment variables set for this command only.
    pub env: Vec<(String, OsString)>,
    /// The directory it runs in (default: the current one).
    pub dir: Option<PathBuf>,
}

impl CommandLine {
    /// `program args...`, no extra environment.
    pub fn new<I, S>(program: impl Into<OsString>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            dir: None,
        }
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for this command.
    pub fn env(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.env.push((name.to_owned(), value.into()));
        self
    }

    /// Runs in `dir`.
    pub fn in_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command
    }

    /// Runs it with the terminal's streams (printing it first); a non-zero exit is
    /// [`XtaskError::Failed`] carrying its code.
    pub fn run(&self) -> Result<(), XtaskError> {
        eprintln!("xtask: $ {self}");
        let status = self
            .command()
            .status()
            .map_err(|source| XtaskError::Spawn {
                command: self.to_string(),
                source,
            })?;
        if status.success() {
            Ok(())
        } else {
            Err(XtaskError::Failed {
                command: self.to_string(),
                code: status.code(),
            })
        }
    }

    /// Runs it silently: whether it started and exited 0.
    pub fn succeeds_quietly(&self) -> bool {
        self.command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Runs it and returns its standard output when it exits 0 (`None` when it cannot start
    /// or fails).
    pub fn output_text(&self) -> Option<String> {
        let output = self
            .command()
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl fmt::Display for CommandLine {
    /// `NAME=value program arg...`, quoted for a POSIX shell.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words: Vec<String> = self
            .env
            .iter()
            .map(|(name, value)| format!("{name}={}", shell_word(&value.to_string_lossy())))
            .collect();
        words.push(shell_word(&self.program.to_string_lossy()));
        words.extend(self.args.iter().map(|a| shell_word(&a.to_string_lossy())));
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_prints_as_a_shell_would_take_it() {
        let line = CommandLine::new("apt-get", ["install", "-y", "g++"])
            .env("DEBIAN_FRONTEND", "noninteractive");
        assert_eq!(
            line.to_string(),
            "DEBIAN_FRONTEND=noninteractive apt-get install -y g++"
        );
    }

    #[test]
    fn words_with_spaces_or_quotes_are_quoted() {
        let line = CommandLine::new("python3", ["-c", "print('hi')", ""]);
        assert_eq!(line.to_string(), r#"python3 -c 'print('\''hi'\'')' ''"#);
    }

    #[test]
    fn a_missing_program_is_a_spawn_error_naming_the_command() {
        let err = CommandLine::new("crosscode-xtask-no-such-program", ["x"])
            .run()
            .unwrap_err();
        assert!(
            matches!(&err, XtaskError::Spawn { command, .. } if command == "crosscode-xtask-no-such-program x")
        );
    }

    #[test]
    fn a_failing_command_carries_its_exit_code() {
        let err = CommandLine::new("sh", ["-c", "exit 3"]).run().unwrap_err();
        assert!(matches!(err, XtaskError::Failed { code: Some(3), .. }));
    }
}
