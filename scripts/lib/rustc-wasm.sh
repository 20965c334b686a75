#!/bin/sh
# rustc wrapper for the wasm32 build (scripts/build.mjs sets it as RUSTC_WRAPPER there only).
#
# crypto-bigint, the RSA arithmetic, picks its limb size with the `cpubits` crate, which
# promotes wasm32 to 64-bit limbs; Wasm has no 64x64->128-bit multiply, so each limb product
# becomes a 128-bit multiplication helper call. With 32-bit limbs (`--cfg cpubits="32"`, the
# override the cpubits documentation describes) it is one i64.mul: an RSA-2048 private
# operation runs 1.5-3.5x faster in Node 20. Every crate built for wasm32 gets the cfg (the
# crates that share crypto-bigint's limbs, such as p256 and p384, must agree with it) except
# `aes` and `polyval`, whose 64-bit soft backends are the faster ones in Wasm (AES-GCM
# 1.3-1.8x slower with 32-bit).
#
# Cargo does not track this wrapper: after changing it, `cargo clean --profile wasm --target
# wasm32-unknown-unknown -p crypto-bigint -p aes -p polyval` rebuilds what it affects.
rustc="$1"
shift
wasm=no
name=
prev=
for arg in "$@"; do
  case "$arg" in
    wasm32-unknown-unknown|--target=wasm32-unknown-unknown) wasm=yes ;;
  esac
  if [ "$prev" = "--crate-name" ]; then name="$arg"; fi
  prev="$arg"
done
if [ "$wasm" = yes ] && [ "$name" != aes ] && [ "$name" != polyval ]; then
  exec "$rustc" "$@" --cfg 'cpubits="32"'
fi
exec "$rustc" "$@"
