//! `cachet`: the native command line over the core (SPEC section 8).
//! Stateless: files and flags in, bytes or one JSON report out.
//! Exit status: 0 good, 3 report printed but a verdict is not good (or no S/MIME layer), 2 any
//! error (usage, files, a wrong password, a refused operation).

use cachet::error::Error;
use cachet::time::UnixTime;
use std::io::{Read, Write};
use std::process::ExitCode;

/// The system allocator, asking Linux for transparent huge pages (2 MiB) on blocks large
/// enough to hold a whole one: a 25 MB message, its decoded body, its plaintext. Filled page by
/// page, fresh memory faulted once per 4 KiB, 6,400 times for 25 MB; with huge pages once per
/// 2 MiB. `open` of a 25 MB message took 20-43 % less time (see `bench/RESULTS.md`). The
/// kernel's setting decides (`transparent_hugepage/enabled`: `madvise` or `always`; with
/// `never` the advice does nothing).
#[cfg(target_os = "linux")]
struct HugePagesForLarge;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: HugePagesForLarge = HugePagesForLarge;

/// Size of a transparent huge page on x86-64 and of the usual arm64 one.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

// SAFETY: every allocation, reallocation and release is the system allocator's, with the
// caller's own arguments and results. `advise_huge_pages` only gives the kernel advice about
// whole 2 MiB ranges inside a block just returned (never its contents, never memory outside
// it); a failed madvise leaves everything as it was.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for HugePagesForLarge {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = unsafe { std::alloc::System.alloc(layout) };
        advise_huge_pages(p, layout.size());
        p
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = unsafe { std::alloc::System.alloc_zeroed(layout) };
        advise_huge_pages(p, layout.size());
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        advise_huge_pages(p, new_size);
        p
    }
}

/// `madvise(MADV_HUGEPAGE)` over the whole huge pages inside the block of `size` bytes at `p`.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn advise_huge_pages(p: *mut u8, size: usize) {
    if p.is_null() || size < HUGE_PAGE {
        return;
    }
    let skip = p.align_offset(HUGE_PAGE);
    let whole = size.saturating_sub(skip) / HUGE_PAGE * HUGE_PAGE;
    if whole == 0 {
        return;
    }
    // SAFETY: `p + skip .. p + skip + whole` lies inside the block (skip + whole <= size), and
    // MADV_HUGEPAGE is advice: it changes neither the mapping nor its contents.
    let _ = unsafe { libc::madvise(p.wrapping_add(skip).cast(), whole, libc::MADV_HUGEPAGE) };
}

const USAGE: &str = "usage: cachet <command> [options]
  sign    --identity ID.p12 --password-file F [--opaque] [--at TIME]     < message > signed
  encrypt --recipient CERT [--recipient CERT]... [--identity ID.p12 --password-file F]
          [--sign] [--opaque] [--triple-wrap] [--cipher aes256-cbc|aes128-gcm|aes256-gcm] [--oaep]
          [--at TIME] [--capabilities MAIL]... [--explain FILE]           < message > encrypted
          --capabilities: a signed mail from a recipient; the SMIMECapabilities its
          signer advertised choose the algorithms for that recipient's certificate;
          --explain writes the choice and its reasons as JSON
  open    [--identity ID.p12 --password-file F]... [--password-file F] [--trust CERT]...
          [--pin CERT]... [--key-history CERT]... [--open-legacy] [--at TIME]
          [--content FILE]                                                < message > report.json
          --trust adds a root (it issues); --pin adds a pinned certificate (trusted only as
          itself, for the addresses it names, never an issuer); every --password-file is
          also tried on a password-encrypted message (RFC 3211); --key-history CERT
          (repeatable): certificates of keys you held before, to say which one a message you
          cannot open needs; --open-legacy opens RC2 and DES mail (refused otherwise), with the
          weak-cipher warning
          sign, encrypt, backup, request: a second --identity (separate signing and
          encryption certificates of one person) is joined with the first
  cert    FILE [--password-file F]                                        > info.json
  backup  --identity ID.p12 --password-file F --new-password-file G       > backup.p12
  request --identity ID.p12 --password-file F --to ADDRESS [--renewal] [--at TIME]
                                                                          > key-exchange.eml
  version
  sign, encrypt, open and request take --policy FILE: the algorithm policy as JSON (fields
  left out keep the standard policy's values).";

/// Parsed flags: repeated flags keep every value in order.
struct Args {
    positional: Vec<String>,
    flags: Vec<(String, Option<String>)>,
}

const VALUE_FLAGS: [&str; 14] = ["--identity", "--password-file", "--at", "--trust", "--pin", "--content", "--recipient", "--cipher", "--new-password-file", "--to", "--policy", "--capabilities", "--explain", "--key-history"];
const BOOL_FLAGS: [&str; 6] = ["--opaque", "--sign", "--oaep", "--renewal", "--triple-wrap", "--open-legacy"];

impl Args {
    /// Flags by lexopt: `--flag VALUE` and `--flag=VALUE`; `--` ends the flags.
    fn parse(args: &[String]) -> Result<Args, Error> {
        use lexopt::Arg;
        let usage = |what: String| Error::usage(format!("{what}\n{USAGE}"));
        let mut positional = Vec::new();
        let mut flags = Vec::new();
        let mut parser = lexopt::Parser::from_args(args.iter().map(String::as_str));
        while let Some(arg) = parser.next().map_err(|e| usage(format!("{e}.")))? {
            match arg {
                Arg::Long(name) => {
                    let flag = format!("--{name}");
                    if VALUE_FLAGS.contains(&flag.as_str()) {
                        let value = parser.value().map_err(|_| usage(format!("{flag} needs a value.")))?;
                        let value = value.into_string().map_err(|_| usage(format!("The value of {flag} is not UTF-8 text.")))?;
                        flags.push((flag, Some(value)));
                    } else if BOOL_FLAGS.contains(&flag.as_str()) {
                        flags.push((flag, None));
                    } else {
                        return Err(usage(format!("Unknown option {flag}.")));
                    }
                }
                Arg::Short(c) => return Err(usage(format!("Unknown option -{c}."))),
                Arg::Value(v) => positional.push(v.into_string().map_err(|_| usage("An argument is not UTF-8 text.".into()))?),
            }
        }
        Ok(Args { positional, flags })
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.flags.iter().filter(|(n, _)| n == name).filter_map(|(_, v)| v.as_deref()).collect()
    }
    fn one(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }
    fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| n == name)
    }
}

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

fn read_password(path: &str) -> Result<String, Error> {
    let bytes = read_file(path)?;
    let s = String::from_utf8(bytes).map_err(|_| Error::usage(format!("The password file '{path}' is not UTF-8 text.")))?;
    Ok(s.strip_suffix("\r\n").or_else(|| s.strip_suffix('\n')).unwrap_or(&s).to_string())
}

/// Standard input as the bytes of one message: read into memory, or mapped.
enum Input {
    Read(Vec<u8>),
    #[cfg(unix)]
    Mapped(memmap2::Mmap),
    /// Read into memory from a regular file, which can be read again from `at` (its offset
    /// when reading began).
    #[cfg(unix)]
    ReadFromFile { bytes: Vec<u8>, file: std::fs::File, at: u64 },
}

impl std::ops::Deref for Input {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Input::Read(v) => v,
            #[cfg(unix)]
            Input::Mapped(m) => m,
            #[cfg(unix)]
            Input::ReadFromFile { bytes, .. } => bytes,
        }
    }
}

/// A regular file on standard input, to read the message again from where reading began.
struct Again {
    file: std::fs::File,
    at: u64,
}

impl Again {
    fn read(mut self) -> Result<Vec<u8>, Error> {
        use std::io::Seek;
        let fail = |e: std::io::Error| Error::usage("Cannot read standard input again.").with_detail(e);
        self.file.seek(std::io::SeekFrom::Start(self.at)).map_err(fail)?;
        let mut v = Vec::new();
        self.file.take(stdin_cap()).read_to_end(&mut v).map_err(fail)?;
        Ok(v)
    }
}

/// How [`read_stdin`] may hold a file on standard input.
#[derive(Clone, Copy, PartialEq)]
enum Hold {
    /// Always a copy in the process's own memory: what is checked is what is written, even if
    /// the file changes meanwhile (received mail, `open`).
    Copy,
    /// Mapped when it is a regular file read from its start (the sender's own message, `sign`
    /// and `encrypt`): no copy of it, and none of the fresh memory a copy needs, whose page
    /// faults cost more than the read itself (25 MB: about 40 ms read, 4 ms mapped, measured
    /// before the allocator asked for huge pages, `HugePagesForLarge`). If the
    /// file is cut short while mapped, the process ends with SIGBUS.
    MapFile,
}

/// How much of standard input is read: one byte past the largest message the core takes.
fn stdin_cap() -> u64 {
    cachet::mime::Limits::default().max_message_size as u64 + 1
}

/// Standard input, read up to one byte past the largest message the core takes
/// (`mime::Limits::max_message_size`): the core then refuses an oversized message with its
/// usual limit-exceeded report, and the CLI never holds more of it than that. A file is
/// mapped ([`Hold::MapFile`]) or read in one read (its size known up front); anything else
/// is read in chunks.
fn read_stdin(hold: Hold) -> Result<Input, Error> {
    let fail = |e: std::io::Error| Error::usage("Cannot read standard input.").with_detail(e);
    let cap = stdin_cap();
    let mut v = Vec::new();
    #[cfg(unix)]
    {
        use std::io::Seek;
        use std::os::fd::AsFd;
        let stdin = std::io::stdin();
        if let Ok(fd) = stdin.as_fd().try_clone_to_owned() {
            let mut file = std::fs::File::from(fd);
            if let Some(len) = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len()) {
                // Only a whole file: standard input may also be a file read from elsewhere
                // than its start (its offset shared with another process).
                if hold == Hold::MapFile && len > 0 && len < cap && file.stream_position().is_ok_and(|at| at == 0) {
                    // SAFETY: the mapping is read only. A change to the file while it is mapped
                    // changes what is read (the sender's own message: at worst a signature
                    // that does not verify); cutting it short ends the process (SIGBUS).
                    #[allow(unsafe_code)]
                    let mapped = unsafe { memmap2::Mmap::map(&file) };
                    if let Ok(map) = mapped {
                        return Ok(Input::Mapped(map));
                    }
                }
                let at = file.stream_position().ok();
                v.reserve(len.min(cap) as usize);
                (&mut file).take(cap).read_to_end(&mut v).map_err(fail)?;
                return Ok(match at {
                    Some(at) => Input::ReadFromFile { bytes: v, file, at },
                    None => Input::Read(v),
                });
            }
        }
    }
    let _ = hold;
    v.reserve(1 << 16);
    std::io::stdin().lock().take(cap).read_to_end(&mut v).map_err(fail)?;
    Ok(Input::Read(v))
}

fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    write_stdout_with(|w| w.write_all(bytes))
}

/// Largest single write: one write of a whole 25 MB message measured several times the
/// system time of the same bytes written 1 MiB at a time.
const WRITE_CHUNK: usize = 1 << 20;

/// A writer that hands `W` at most [`WRITE_CHUNK`] bytes per write.
struct Chunked<W: Write>(W);

impl<W: Write> Write for Chunked<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf.get(..buf.len().min(WRITE_CHUNK)).unwrap_or(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Write a file (`--content`) in chunks of [`WRITE_CHUNK`]: over what an existing file holds,
/// then cut to the length written. Not emptied first: ext4 writes out a file that was cut to
/// nothing when it is closed (`auto_da_alloc`), and rewriting a 25 MB content file waited about
/// 10 ms for that (measured).
fn write_file(path: &str, bytes: &[u8]) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::usage(format!("Cannot write '{path}'.")).with_detail(e);
    let file = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path).map_err(fail)?;
    let mut out = Chunked(file);
    let written = out.write_all(bytes);
    // On a failed write too: no bytes of the file's earlier content stay after what was written.
    let end = if written.is_ok() { bytes.len() as u64 } else { std::io::Seek::stream_position(&mut out.0).unwrap_or(0) };
    let cut = out.0.set_len(end);
    written.and(cut).map_err(fail)
}

/// Standard output through a large buffer: writers may make many small writes.
fn stdout_buffered() -> std::io::BufWriter<Chunked<std::io::StdoutLock<'static>>> {
    std::io::BufWriter::with_capacity(WRITE_CHUNK, Chunked(std::io::stdout().lock()))
}

fn stdout_failed(e: std::io::Error) -> Error {
    Error::usage("Cannot write to standard output.").with_detail(e)
}

/// Write to standard output ([`stdout_buffered`]) with `write`, then flush.
fn write_stdout_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
    let mut out = stdout_buffered();
    write(&mut out).and_then(|_| out.flush()).map_err(stdout_failed)
}

/// What `encrypt` writes: the message in one buffer, or an entity encoded as it is written.
enum Output {
    Bytes(Vec<u8>),
    Sealing(cachet::smime::Sealing),
}

/// Content encrypted in pieces of this size (a multiple of the AES block) by one thread while
/// the other writes out the pieces done.
const SEAL_PIECE: usize = 1 << 18;

/// The ciphertext of an entity, received piece by piece from the thread encrypting it, as the
/// middle piece of its DER ([`cachet::mime::Pkcs7Mime::write_to_with`] reads it in order).
struct Received<'a> {
    len: usize,
    rx: std::sync::mpsc::Receiver<&'a [u8]>,
    /// The piece being read and where it starts.
    current: std::cell::Cell<(usize, &'a [u8])>,
    /// Bytes were asked for that never came (the encrypting thread stopped, or out of order).
    short: std::cell::Cell<bool>,
}

impl cachet::mime::DerPiece for Received<'_> {
    fn piece_len(&self) -> usize {
        self.len
    }

    fn copy_out(&self, at: usize, out: &mut [u8]) {
        let mut filled = 0;
        while filled < out.len() {
            let (start, piece) = self.current.get();
            let pos = at + filled;
            let Some(from) = pos.checked_sub(start) else {
                self.short.set(true);
                return;
            };
            if from >= piece.len() {
                match self.rx.recv() {
                    Ok(next) => self.current.set((start + piece.len(), next)),
                    Err(_) => {
                        self.short.set(true);
                        return;
                    }
                }
                continue;
            }
            let n = (piece.len() - from).min(out.len() - filled);
            if let (Some(dst), Some(src)) = (out.get_mut(filled..filled + n), piece.get(from..from + n)) {
                dst.copy_from_slice(src);
            }
            filled += n;
        }
    }
}

/// Write an entity encrypted with AES-CBC in pieces ([`cachet::smime::Sealing::InPieces`]):
/// one thread encrypts `content` piece after piece while this one base64-encodes and writes
/// out the pieces already encrypted.
fn write_sealed_in_pieces(entity: &cachet::mime::Pkcs7Mime, content: &mut [u8], sealer: Box<cachet::crypto::cipher::CbcSealer>) -> Result<(), Error> {
    let len = content.len();
    let (tx, rx) = std::sync::mpsc::channel::<&[u8]>();
    std::thread::scope(|s| {
        let sealing = s.spawn(move || {
            let mut sealer = sealer;
            for piece in content.chunks_mut(SEAL_PIECE) {
                sealer.seal(piece);
                let piece: &[u8] = piece;
                if tx.send(piece).is_err() {
                    break;
                }
            }
        });
        let middle = Received { len, rx, current: std::cell::Cell::new((0, &[][..])), short: std::cell::Cell::new(false) };
        let written = write_stdout_with(|w| entity.write_to_with(Some(&middle), w));
        let sealed = sealing.join();
        if sealed.is_err() || middle.short.get() {
            return Err(Error::new(cachet::error::Code::Crypto, "The message could not be encrypted.", "Try again; if it keeps failing, report it.").with_detail("the encrypting thread stopped"));
        }
        written
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, Error> {
    let mut s = serde_json::to_vec_pretty(v).map_err(|e| Error::usage("Cannot write JSON.").with_detail(e))?;
    s.push(b'\n');
    Ok(s)
}

fn at(args: &Args) -> Result<UnixTime, Error> {
    match args.one("--at") {
        Some(t) => UnixTime::parse_rfc3339(t),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| Error::usage("The system clock is before 1970.").with_detail(e))?
                .as_secs();
            Ok(UnixTime(secs))
        }
    }
}

/// The algorithm policy: `--policy FILE` (JSON), else the standard policy (SPEC section 4).
fn policy(args: &Args) -> Result<cachet::policy::Policy, Error> {
    match args.one("--policy") {
        Some(path) => cachet::policy::Policy::from_json(&read_file(path)?).map_err(|e| Error { message: format!("The policy file '{path}' cannot be read."), ..e }),
        None => Ok(cachet::policy::Policy::standard()),
    }
}

/// Identities from `--identity` / `--password-file` pairs (one password file may serve all).
fn identities(args: &Args) -> Result<Vec<cachet::pkcs12::Identity>, Error> {
    let ids = args.all("--identity");
    let pws = args.all("--password-file");
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let pw = match pws.get(i).or(pws.last()) {
            Some(p) => read_password(p)?,
            None => String::new(),
        };
        out.push(cachet::pkcs12::import(&read_file(id)?, &pw)?);
    }
    Ok(out)
}

/// The one identity of `sign`, `encrypt`, `backup` and `request`: the key pairs of every
/// `--identity` file, a signing-only and an encryption-only certificate for the same address
/// joined into one identity (one file with both, or two files; see `pkcs12::pair`).
fn identity(args: &Args) -> Result<Option<cachet::pkcs12::Identity>, Error> {
    let mut all = Vec::new();
    for id in identities(args)? {
        let cachet::pkcs12::Identity { certificate, chain, key, friendly_name, encryption } = id;
        all.push(cachet::pkcs12::Identity { certificate, chain, key, friendly_name, encryption: None });
        all.extend(encryption.map(|e| *e));
    }
    if all.is_empty() {
        return Ok(None);
    }
    cachet::pkcs12::pair(all).map(Some)
}

fn certificates(paths: &[&str]) -> Result<Vec<x509_cert::Certificate>, Error> {
    let mut out = Vec::new();
    for p in paths {
        out.extend(cachet::cert::facts::parse_certificates(&read_file(p)?)?);
    }
    Ok(out)
}

fn run(args: &[String]) -> Result<ExitCode, Error> {
    let Some(cmd) = args.first() else {
        return Err(Error::usage(USAGE));
    };
    let a = Args::parse(args.get(1..).unwrap_or(&[]))?;
    match cmd.as_str() {
        "version" | "--version" => {
            write_stdout(format!("cachet {}\n", cachet::VERSION).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        "cert" => {
            let file = a.positional.first().ok_or_else(|| Error::usage(USAGE))?;
            let bytes = read_file(file)?;
            let facts = match a.one("--password-file") {
                Some(pw) => {
                    let id = cachet::pkcs12::import(&bytes, &read_password(pw)?)?;
                    // The (signing) certificate and its chain, then a separate encryption certificate.
                    let mut certs: Vec<&x509_cert::Certificate> = Vec::new();
                    for c in id.key_pairs().flat_map(|p| std::iter::once(&p.certificate).chain(p.chain.iter())) {
                        if !certs.contains(&c) {
                            certs.push(c);
                        }
                    }
                    certs.into_iter().map(cachet::cert::facts::facts).collect()
                }
                None => cachet::cert::facts::summarize(&bytes)?,
            };
            write_stdout(&to_json(&facts)?)?;
            Ok(ExitCode::SUCCESS)
        }
        "sign" => {
            let id = identity(&a)?;
            let id = id.as_ref().ok_or_else(|| Error::usage(format!("sign needs --identity.\n{USAGE}")))?;
            let message = read_stdin(Hold::MapFile)?;
            // sign_message in its phases; the signed entity refers to the message's bytes
            // where it keeps them as they are, and is written in pieces.
            let plan = cachet::smime::prepare_signing_pieces(&message, id, a.has("--opaque"), at(&a)?, &cachet::mime::Limits::default(), &policy(&a)?)?;
            use cachet::smime::SigningPhases;
            let Some((head, boundary)) = plan.clear_head() else {
                let attrs = plan.signed_attributes(&plan.digest()?)?;
                let signed = plan.finish_message(attrs)?;
                write_stdout_with(|w| signed.write_to(w))?;
                return Ok(ExitCode::SUCCESS);
            };
            // Clear-signed: the entity is written out while a second thread hashes it (the
            // header section and the entity do not depend on the signature); then the
            // signature part. Either failure fails the command, and nothing is written after it.
            let mut out = stdout_buffered();
            let (written, digest) = std::thread::scope(|s| {
                let digest = s.spawn(plan.digest_job());
                let written = out.write_all(&head).and_then(|_| plan.write_entity(&mut out));
                (written, digest.join())
            });
            let stopped = || Error::new(cachet::error::Code::Crypto, "The message could not be signed.", "Try again; if it keeps failing, report it.").with_detail("the digest thread stopped");
            let digest = digest.map_err(|_| stopped())??;
            written.map_err(stdout_failed)?;
            let attrs = plan.signed_attributes(&digest)?;
            let tail = plan.finish_tail(attrs, &boundary)?;
            out.write_all(&tail).and_then(|_| out.flush()).map_err(stdout_failed)?;
            Ok(ExitCode::SUCCESS)
        }
        "encrypt" => {
            let sender = identity(&a)?;
            let recipients = certificates(&a.all("--recipient"))?;
            if recipients.is_empty() && sender.is_none() {
                return Err(Error::usage(format!("encrypt needs --recipient.\n{USAGE}")));
            }
            let cipher = match a.one("--cipher") {
                Some(name) => Some(
                    cachet::crypto::ContentCipher::from_name(name)
                        .filter(|c| matches!(c.name(), "aes256-cbc" | "aes128-gcm" | "aes256-gcm"))
                        .ok_or_else(|| Error::usage(format!("Unknown --cipher {name}: use aes256-cbc, aes128-gcm or aes256-gcm.")))?,
                ),
                None => None,
            };
            let when = at(&a)?;
            let policy = policy(&a)?;
            let limits = cachet::mime::Limits::default();
            let mut learned = Vec::new();
            for path in a.all("--capabilities") {
                let input = cachet::smime::OpenInput { roots: &[], pins: &[], known: &[], identities: &[], passwords: &[], at: when, policy: &policy, limits: &limits };
                learned.extend(cachet::smime::choice::learned_from(&cachet::smime::open(&read_file(path)?, &input).report));
            }
            let capabilities = cachet::smime::choice::for_recipients(&recipients, &learned);
            let options = cachet::smime::EncryptOptions { cipher, oaep: a.has("--oaep"), sign: a.has("--sign"), capabilities, opaque: a.has("--opaque"), triple_wrap: a.has("--triple-wrap") };
            if let Some(path) = a.one("--explain") {
                let choice = cachet::smime::encryption_choice(&recipients, sender.as_ref().map(|i| i.encryption_certificate()), &options, &policy);
                std::fs::write(path, to_json(&choice)?).map_err(|e| Error::usage(format!("Cannot write '{path}'.")).with_detail(e))?;
            }
            let message = read_stdin(Hold::MapFile)?;
            // The encrypted entity is base64 encoded as it is written (never held twice);
            // a triple wrap signs the whole encrypted message, so that one is built first.
            let out = if options.triple_wrap {
                Output::Bytes(cachet::smime::encrypt_message(&message, &recipients, sender.as_ref(), options, when, &limits, &policy)?)
            } else {
                Output::Sealing(cachet::smime::prepare_message_encryption(&message, &recipients, sender.as_ref(), options, when, &limits, &policy)?.finish_for_writing()?)
            };
            drop(message);
            if let Some(id) = sender.as_ref().filter(|id| !cachet::pkcs12::can_receive_encrypted(id)) {
                let why = cachet::cert::facts::usability(id.encryption_certificate()).reasons.join("; ");
                eprintln!("cachet: warning: your certificate cannot be encrypted to ({why}): your own copy of this message will not be readable.");
                eprintln!("hint: Import your encryption certificate (from the same or another .p12) to keep a readable copy.");
            }
            match out {
                Output::Bytes(bytes) => write_stdout(&bytes)?,
                Output::Sealing(cachet::smime::Sealing::Whole(entity)) => write_stdout_with(|w| entity.write_to(w))?,
                Output::Sealing(cachet::smime::Sealing::InPieces { entity, mut content, sealer }) => write_sealed_in_pieces(&entity, &mut content, sealer)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        "open" => {
            let ids = identities(&a)?;
            let roots = certificates(&a.all("--trust"))?;
            let pins = certificates(&a.all("--pin"))?;
            let message = read_stdin(Hold::Copy)?;
            let mut policy = policy(&a)?;
            // RC2 and DES only when asked for (SPEC section 4), then with the weak-cipher warning.
            policy.legacy_allowed |= a.has("--open-legacy");
            let limits = cachet::mime::Limits::default();
            let id_refs: Vec<&cachet::pkcs12::Identity> = ids.iter().collect();
            // Every --password-file is also a message password (RFC 3211 password-encrypted
            // mail): without --identity it is only that.
            let passwords = a.all("--password-file").into_iter().map(read_password).collect::<Result<Vec<_>, _>>()?;
            let input = cachet::smime::OpenInput { roots: &roots, pins: &pins, known: &[], identities: &id_refs, passwords: &passwords, at: at(&a)?, policy: &policy, limits: &limits };
            let portable = &cachet::cms::bulk::Portable;
            // The content borrowed from the message where it is a part of it (clear-signed).
            let held: Input;
            let mut opened = match message {
                // An encrypted or opaque-signed message in a file: decoded and decrypted in
                // the buffer it was read into (for 25 MB, two buffers of its size fewer), read
                // again from the file in the rare case the core must open it as received.
                #[cfg(unix)]
                Input::ReadFromFile { bytes, file, at } => {
                    let again = Again { file, at };
                    match cachet::smime::decode_top_in_place(bytes, &limits) {
                        cachet::smime::TopDecode::Decoded(top) => cachet::smime::open_decoded(top, &input, || again.read())?,
                        cachet::smime::TopDecode::Unchanged(bytes) => {
                            held = Input::Read(bytes);
                            cachet::smime::open_with_borrowed(&held, &input, portable)
                        }
                        cachet::smime::TopDecode::Spoiled => {
                            held = Input::Read(again.read()?);
                            cachet::smime::open_with_borrowed(&held, &input, portable)
                        }
                    }
                }
                message => {
                    held = message;
                    cachet::smime::open_with_borrowed(&held, &input, portable)
                }
            };
            // "Which key do I need": the identities given, then the older certificates.
            let older = certificates(&a.all("--key-history"))?;
            cachet::identity::explain_no_key(
                &mut opened.report,
                || {
                    let current = ids.iter().flat_map(|i| i.key_pairs()).map(|p| cachet::identity::known_key(&cachet::cert::facts::facts(&p.certificate), cachet::identity::KeyState::Current));
                    let older = older.iter().map(|c| cachet::identity::known_key(&cachet::cert::facts::facts(c), cachet::identity::KeyState::Backup));
                    current.chain(older).collect()
                },
                input.at,
            );
            if let (Some(path), Some(content)) = (a.one("--content"), opened.content.as_deref()) {
                write_file(path, content)?;
            }
            write_stdout(&to_json(&opened.report)?)?;
            Ok(if opened.report.status.is_good() || opened.report.status == cachet::report::Status::Unsigned && !opened.report.layers.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            })
        }
        "backup" => {
            let id = identity(&a)?;
            let id = id.as_ref().ok_or_else(|| Error::usage(format!("backup needs --identity.\n{USAGE}")))?;
            let new_pw = a.one("--new-password-file").ok_or_else(|| Error::usage(format!("backup needs --new-password-file.\n{USAGE}")))?;
            let out = cachet::pkcs12::export_backup(id, &read_password(new_pw)?, cachet::pkcs12::DEFAULT_BACKUP_ITERATIONS)?;
            write_stdout(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        "request" => {
            let id = identity(&a)?;
            let id = id.as_ref().ok_or_else(|| Error::usage(format!("request needs --identity.\n{USAGE}")))?;
            let to = a.one("--to").ok_or_else(|| Error::usage(format!("request needs --to.\n{USAGE}")))?;
            let when = at(&a)?;
            let options = cachet::request::RequestOptions {
                to: to.to_string(),
                kind: if a.has("--renewal") { cachet::request::RequestKind::Renewal } else { cachet::request::RequestKind::KeyExchange },
                date: Some(cachet::request::rfc5322_date(when)),
                message_id: Some(message_id(&cachet::cert::facts::email_addresses(&id.certificate))?),
                ..Default::default()
            };
            write_stdout(&cachet::request::request_mail(id, &options, when, &policy(&a)?)?)?;
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(Error::usage(USAGE)),
    }
}

/// A fresh Message-ID (RFC 5322 3.6.4): 16 random bytes at the domain of the sender's
/// first address.
fn message_id(addresses: &[String]) -> Result<String, Error> {
    let mut r = [0u8; 16];
    getrandom::fill(&mut r).map_err(|e| Error::usage("No random numbers are available.").with_detail(e))?;
    let domain = addresses.first().and_then(|a| a.rsplit_once('@')).map(|(_, d)| d.to_string()).unwrap_or_else(|| "localhost".into());
    Ok(format!("<{}@{domain}>", cachet::cert::facts::hex(&r).to_ascii_lowercase()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}
