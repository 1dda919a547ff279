"""The fast FIT engine (numpy + arrow): `decode(data) -> (frames by message name, problems)`.

`scan` walks record headers, `plan` compiles each definition and decodes its records at once,
`columns` turns raw values into polars series, `decoder` ties them together; `crc` is the
CRC-16 and `raw_writer` a byte-exact FIT writer for tests.
"""

from parsers.fit.fast.decoder import decode

__all__ = ["decode"]
