//! TEMPORARY interface stub until path validation lands.
use crate::policy::Policy;
use crate::time::UnixTime;
use x509_cert::Certificate;
pub const DEFAULT_MAX_DEPTH: usize = 8;
#[derive(Debug, Clone, Copy)]
pub enum Purpose { Sign, Encrypt }
pub struct ValidationInput<'a> { pub leaf: &'a Certificate, pub intermediates: &'a [Certificate], pub anchors: &'a [Certificate], pub at: UnixTime, pub purpose: Purpose, pub policy: &'a Policy, pub max_depth: usize }
pub struct CertRef { pub subject: String }
pub enum PathStatus { Trusted, UnknownCa, Expired { subject: String }, NotYetValid { subject: String }, WrongUsage(String), BadSignature(String), WeakAlgorithm(String), Invalid(String) }
impl PathStatus { pub fn id(&self) -> &'static str { "unknown-ca" } }
pub struct PathReport { pub status: PathStatus, pub path: Vec<CertRef>, pub details: Vec<String> }
pub fn validate(_input: &ValidationInput<'_>) -> PathReport { PathReport { status: PathStatus::UnknownCa, path: Vec::new(), details: Vec::new() } }
