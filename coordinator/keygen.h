/*
 * keygen.h -- `vantage keygen NAME [--dir DIR]`: write a CURVE key pair.
 */
#ifndef VANTAGE_COORD_KEYGEN_H
#define VANTAGE_COORD_KEYGEN_H

/* argv[0] is "keygen".  Writes DIR/NAME.key (0600) and DIR/NAME.pub (0644),
 * refusing to overwrite, and prints both paths and the public key.  Exit
 * status: 0 written, 1 error, 2 usage. */
int keygen_main(int argc, char **argv);

#endif
