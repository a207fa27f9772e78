//! `ad-gradbench`: a GradBench tool. Reads the protocol's messages from stdin, one JSON object
//! per line, and writes one answer per line to stdout until the end of input.

use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let message: serde_json::Value = match serde_json::from_str(&line) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("ad-gradbench: not a JSON message ({e}): {line}");
                continue;
            }
        };
        if message.get("kind").and_then(|k| k.as_str()) == Some("end") {
            break;
        }
        let reply = ad_gradbench::protocol::answer(ad_gradbench::EVALS, &message);
        writeln!(stdout, "{reply}")?;
        stdout.flush()?;
    }
    Ok(())
}
