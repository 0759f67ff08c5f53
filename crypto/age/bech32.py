"""Bech32 (BIP 173) as age uses it for keys (spec §"Recipient and identity encoding").

Two differences from BIP 173: the 90-character limit does not apply (identities are
longer), and nothing but the plain Bech32 checksum constant is accepted (no Bech32m).
A string is all lowercase or all uppercase; the checksum is computed over the lowercase
form.  Errors are :class:`KeyFormatError` because Bech32 here only ever carries keys.
"""

from __future__ import annotations

from crypto.errors import KeyFormatError

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(CHARSET)}
_GENERATORS = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST = 1


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, g in enumerate(_GENERATORS):
            if (top >> i) & 1:
                chk ^= g
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or (acc << (to_bits - bits)) & maxv:
        # BIP 173: at most 4 bits of zero padding; anything else is non-canonical.
        raise KeyFormatError("invalid bech32 padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Lowercase Bech32 of ``data`` under the (lowercase) human-readable part ``hrp``."""
    hrp = hrp.lower()
    values = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod([*_hrp_expand(hrp), *values, 0, 0, 0, 0, 0, 0]) ^ _BECH32_CONST
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[v] for v in values + checksum)


def decode(text: str) -> tuple[str, bytes]:
    """Return ``(lowercase hrp, data)``; raise :class:`KeyFormatError` on any deviation."""
    if text.lower() != text and text.upper() != text:
        raise KeyFormatError("mixed-case bech32")
    if any(not 33 <= ord(c) <= 126 for c in text):
        raise KeyFormatError("invalid character in bech32")
    lower = text.lower()
    pos = lower.rfind("1")
    if pos < 1 or pos + 7 > len(lower):
        raise KeyFormatError("bech32 separator misplaced")
    hrp = lower[:pos]
    try:
        values = [_CHARSET_INDEX[c] for c in lower[pos + 1 :]]
    except KeyError as exc:
        raise KeyFormatError("invalid bech32 data character") from exc
    if _polymod(_hrp_expand(hrp) + values) != _BECH32_CONST:
        raise KeyFormatError("bad bech32 checksum")
    return hrp, bytes(_convert_bits(values[:-6], 5, 8, pad=False))
