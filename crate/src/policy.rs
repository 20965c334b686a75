//! Algorithm policy (SPEC section 4): accepted, flagged or refused.
