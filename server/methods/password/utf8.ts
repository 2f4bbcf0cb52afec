/**
 * Length of a string in UTF-8 bytes, the unit Kratos (Go `len`) measures passwords in.
 * Counted from UTF-16 code units so the hot path allocates nothing. A lone surrogate counts 3
 * bytes: it is encoded as U+FFFD, as TextEncoder (and Go's JSON decoder) would.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
