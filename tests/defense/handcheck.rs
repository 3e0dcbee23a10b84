//! USER_DOC.md's "Checking it by hand" read as a script: its ```` ```console ```` blocks hold
//! the commands an evaluator types and the answers they should see, in the convention that
//! section states:
//! - a line `$ COMMAND` is a command (a line ending in `\` continues on the next one);
//! - the lines after it, up to the next command or the end of the block, are its expected
//!   answer (stdout and stderr together); none: it prints nothing;
//! - answers are compared line by line, in order, ignoring blank lines and runs of spaces;
//!   `...` inside a line matches any text, a line that is only `...` any number of lines;
//!   `<login>` stands for the login (`$USER`);
//! - `$ sudo reboot` is where the machine reboots; the commands after it run after the boot.

/// One step of the section.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// A command, its expected answer, and the line of USER_DOC.md it is on.
    Run {
        command: String,
        expected: Vec<String>,
        line: usize,
    },
    /// The machine reboots here.
    Reboot { line: usize },
}

/// The command that marks a reboot.
pub const REBOOT: &str = "sudo reboot";

/// The steps of the section headed `## {title}` (up to the next `## ` heading).
pub fn parse(doc: &str, title: &str) -> Vec<Step> {
    let heading = format!("## {title}");
    let start = doc
        .lines()
        .position(|l| l.trim_end() == heading)
        .unwrap_or_else(|| panic!("USER_DOC.md has no section {heading:?}"));
    let mut steps = Vec::new();
    // Inside a fenced block: whether it is a console block.
    let mut fence: Option<bool> = None;
    let mut lines = doc.lines().enumerate().skip(start + 1);
    while let Some((n, line)) = lines.next() {
        if fence.is_none() && line.starts_with("## ") {
            break;
        }
        if line.trim_start().starts_with("```") {
            fence = match fence {
                None => Some(line.trim() == "```console"),
                Some(_) => None,
            };
            continue;
        }
        if fence != Some(true) {
            continue;
        }
        if let Some(first) = line.strip_prefix("$ ") {
            let mut command = first.to_owned();
            while command.ends_with('\\') {
                let (_, next) = lines.next().expect("a command continues past the document");
                command.push('\n');
                command.push_str(next);
            }
            steps.push(if command.trim() == REBOOT {
                Step::Reboot { line: n + 1 }
            } else {
                Step::Run {
                    command,
                    expected: Vec::new(),
                    line: n + 1,
                }
            });
        } else {
            match steps.last_mut() {
                Some(Step::Run { expected, .. }) => expected.push(line.to_owned()),
                _ => panic!("USER_DOC.md line {}: an answer with no command", n + 1),
            }
        }
    }
    assert!(fence.is_none(), "USER_DOC.md: a code block is not closed");
    steps
}

/// Whether `actual` (a command's output) is the answer `expected` describes.
pub fn matches(expected: &[String], actual: &str, login: &str) -> bool {
    let expected: Vec<String> = normalize(expected.iter().map(|l| l.replace("<login>", login)));
    let actual: Vec<String> = normalize(actual.lines().map(str::to_owned));
    lines_match(&expected, &actual)
}

/// Blank lines dropped, every run of whitespace made one space.
fn normalize(lines: impl Iterator<Item = String>) -> Vec<String> {
    lines
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn lines_match(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => {
            (0..=actual.len()).any(|k| lines_match(rest, &actual[k..]))
        }
        Some((e, rest)) => {
            !actual.is_empty() && line_matches(e, &actual[0]) && lines_match(rest, &actual[1..])
        }
    }
}

/// `pattern` with `...` matching any text (a glob with one wildcard: the leftmost match of
/// each literal part is the right one).
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == line;
    }
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn commands_answers_and_the_reboot_are_read_from_console_blocks_of_the_section() {
        let doc = "# Doc\n## Other\n```console\n$ ignored\n```\n## Checks\ntext\n```sh\n$ not a check\n```\n\
                   ```console\n$ echo a \\\n  b\na b\n$ true\n$ sudo reboot\n$ docker ps\n...\n```\n## Next\n";
        let steps = parse(doc, "Checks");
        assert_eq!(
            steps,
            vec![
                Step::Run {
                    command: "echo a \\\n  b".into(),
                    expected: lines("a b"),
                    line: 12
                },
                Step::Run {
                    command: "true".into(),
                    expected: vec![],
                    line: 15
                },
                Step::Reboot { line: 16 },
                Step::Run {
                    command: "docker ps".into(),
                    expected: lines("..."),
                    line: 17
                },
            ]
        );
    }

    #[test]
    fn an_answer_matches_line_by_line_with_wildcards_and_the_login() {
        let e = lines("nginx Up ... (healthy)\n...\n/home/<login>/data/...");
        assert!(matches(
            &e,
            "nginx   Up 3 minutes (healthy)\nx\ny\n/home/eve/data/mariadb\n",
            "eve"
        ));
        assert!(matches(
            &e,
            "nginx Up 1 second (healthy)\n/home/eve/data/x",
            "eve"
        ));
        assert!(!matches(
            &e,
            "nginx Up 3 minutes (unhealthy)\n/home/eve/data/x",
            "eve"
        ));
        assert!(!matches(&e, "nginx Up 3 minutes (healthy)\n", "eve"));
        assert!(!matches(&e, "/home/eve/data/x\nnginx Up (healthy)", "eve"));
        // Nothing expected: nothing but blank lines may come.
        assert!(matches(&[], "\n\n", "eve"));
        assert!(!matches(&[], "error", "eve"));
        // Every line must be accounted for.
        assert!(!matches(&lines("a"), "a\nb", "eve"));
        assert!(matches(&lines("a\n..."), "a\nb", "eve"));
    }

    #[test]
    fn a_wildcard_matches_any_text_within_a_line() {
        assert!(line_matches("a...b...c", "a-b-c"));
        assert!(line_matches("a...b...c", "abc"));
        assert!(line_matches("a...", "a"));
        assert!(line_matches("...", ""));
        assert!(!line_matches("a...b", "ab-c"));
        assert!(!line_matches("ab...b", "ab"));
        assert!(!line_matches("a", "ab"));
    }
}
