#!/bin/bash
# SPDX-License-Identifier: GPL-2.0

# abi_registration_test registers its own rseq areas: keep glibc from registering one.
GLIBC_TUNABLES="${GLIBC_TUNABLES:-}:glibc.pthread.rseq=0" exec ./abi_registration_test "$@"
