/*
 * doctor.h -- `vantage doctor`: can this machine (and optionally every
 * vantage) reach the ACME CA?  DNS, TCP 443, TLS >= 1.2, the chain against
 * the local trust store, clock skew, the directory's JSON.
 */
#ifndef VANTAGE_DOCTOR_H
#define VANTAGE_DOCTOR_H

/* `vantage doctor [--directory URL] [options]` (argv[0] is "doctor").
 * Returns the exit status: 0 every check passed (warnings allowed), 1 a
 * check failed, 2 usage error. */
int doctor_main(int argc, char **argv);

#endif
