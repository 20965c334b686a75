//! `cachet`: the native command line over the core (SPEC section 8).
//! Stateless: files and flags in, bytes or one JSON report out.
//! Exit status: 0 good, 3 report printed but a verdict is not good, 2 usage or file error.

use cachet::error::Error;
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: cachet <command> [options]
  cert    FILE [--password-file F]          certificate facts as JSON
  version                                   print the version";

fn fail(e: &Error) -> ExitCode {
    eprintln!("cachet: {}", e.message);
    eprintln!("hint: {}", e.hint);
    if let Some(d) = &e.detail {
        eprintln!("detail: {d}");
    }
    ExitCode::from(2)
}

fn read_file(path: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::usage(format!("Cannot read '{path}'.")).with_detail(e))
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), Error> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Error::usage("Cannot write JSON").with_detail(e))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}").map_err(|e| Error::usage("Cannot write to standard output").with_detail(e))
}

fn run(args: &[String]) -> Result<ExitCode, Error> {
    let Some(cmd) = args.first() else {
        return Err(Error::usage(USAGE));
    };
    match cmd.as_str() {
        "version" | "--version" => {
            println!("cachet {}", cachet::VERSION);
            Ok(ExitCode::SUCCESS)
        }
        "cert" => {
            let file = args.get(1).ok_or_else(|| Error::usage(USAGE))?;
            let facts = cachet::cert::facts::summarize(&read_file(file)?)?;
            print_json(&facts)?;
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(Error::usage(USAGE)),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}
