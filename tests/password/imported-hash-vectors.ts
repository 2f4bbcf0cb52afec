/**
 * Known vectors from Kratos's hash/hasher_test.go (same commit as tests/fixtures/NOTICE.md): each
 * hash with a password it accepts and one it refuses.
 */
export interface HashVector {
  format: string;
  hash: string;
  password: string;
  wrong: string;
}

export const IMPORTED_HASH_VECTORS: readonly HashVector[] = [
  {
    format: "pbkdf2-sha256",
    password: "test",
    wrong: "tesu",
    hash: "$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
  },
  {
    format: "pbkdf2-sha512",
    password: "test",
    wrong: "tesu",
    hash: "$pbkdf2-sha512$i=100000,l=32$bdHBpn7OWOivJMVJypy2UqR0UnaD5prQXRZevj/05YU$+wArTfv1a+bNGO1iZrmEdVjhA+lL11wF4/IxpgYfPwc",
  },
  {
    format: "pbkdf2-sha224",
    password: "test",
    wrong: "wrong",
    hash: "$pbkdf2-sha224$i=100000,l=32$A2nzbFd+wwzPSb+TqkF5Pw$9M4GM2yOYw/fZvsvQbF/0Ec8JO2u9O1MYRTfrDimX6o",
  },
  {
    format: "pbkdf2-sha384",
    password: "test",
    wrong: "wrong",
    hash: "$pbkdf2-sha384$i=100000,l=32$xDInuz7Y/DPzZUnCaQXJmg$7ICaEa6jEqxbbCBbv4YzrBf39KYNAtc3Bj0QWKeB3Ck",
  },
  {
    format: "scrypt",
    password: "test",
    wrong: "tesu",
    hash: "$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
  },
  {
    format: "firescrypt",
    password: "8x4WjoDbSxJZdR",
    wrong: "8x4WjoDbSxJZdr",
    hash: "$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==",
  },
  { format: "ssha", password: "test123", wrong: "badtest", hash: "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a" },
  {
    format: "ssha256",
    password: "test123",
    wrong: "badtest",
    hash: "{SSHA256}czO44OTV17PcF1cRxWrLZLy9xHd7CWyVYplr1rOhuMlx/7IK",
  },
  {
    format: "ssha512",
    password: "test123",
    wrong: "badtest",
    hash: "{SSHA512}xPUl/px+1cG55rUH4rzcwxdOIPSB2TingLpiJJumN2xyDWN4Ix1WQG3ihnvHaWUE8MYNkvMi5rf0C9NYixHsE6Yh59M=",
  },
  {
    format: "sha1",
    password: "test",
    wrong: "tset",
    hash: "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
  },
  {
    format: "sha1 (static prefix)",
    password: "test",
    wrong: "tesu",
    hash: "$sha1$pf=Pz9zdGF0aWNQcmVmaXg/P3tTQUxUfXtQQVNTV09SRH0=$NW9wbWtnejAzcg==$SAAxMUn7jxckQXkBmsVF0nHwqso=",
  },
  {
    format: "sha256",
    password: "test",
    wrong: "wrongpass",
    hash: "$sha256$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$0gfRVLCvtBCk20udLDEY5vNhujWx7RGjwRIS1ebMsLY=",
  },
  {
    format: "sha512",
    password: "test",
    wrong: "wrongpass",
    hash: "$sha512$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$6ctpVuApMNp0CgBXcdHw/GC562eFEFGr4gpgANX8ZYsX+j5B19IkdmOY2Fytsz3QUwSWdGcUjbqwgJGTH0UYvw==",
  },
  { format: "md5", password: "test", wrong: "tesu", hash: "$md5$CY9rzUYh03PK3k6DJie09g==" },
  {
    format: "md5 (salted)",
    password: "test",
    wrong: "test1",
    hash: "$md5$pf=e1NBTFR9JCR7UEFTU1dPUkR9$MTIzNA==$ud392Z8rfZ+Ou7ZFXYLKbA==",
  },
  { format: "md5-crypt", password: "ory", wrong: "test", hash: "$md5-crypt$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b." },
  {
    format: "md5-crypt (no salt)",
    password: "test",
    wrong: "ory",
    hash: "$md5-crypt$$whuMjZj.HMFoaTaZRRtkO0",
  },
  {
    format: "sha256-crypt",
    password: "ory",
    wrong: "test",
    hash: "$sha256-crypt$rounds=535000$awpcR7lDlnK/S7WE$vHU7KkQwyjfGz6u4MUi7.lH9htK/l63HloTsX1ZMz.3",
  },
  {
    format: "sha512-crypt",
    password: "test",
    wrong: "ory",
    hash: "$sha512-crypt$rounds=656000$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1",
  },
  {
    format: "hmac-md4",
    password: "test",
    wrong: "ory",
    hash: "$hmac-md4$MWQ5ZTI4Nzc2Zjg4YmE2MTQ5YjQ0OTMyOGE4NWU4YjA=$MTIzNDU=",
  },
  {
    format: "hmac-md5",
    password: "test",
    wrong: "ory",
    hash: "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU=",
  },
  {
    format: "hmac-sha1",
    password: "test",
    wrong: "ory",
    hash: "$hmac-sha1$NDMyNjcxZTUyY2Y2YTBmYjZjZDE2NjQxYjAwNjFiZjAwOGEzNWM5MA==$MTIzNDU=",
  },
  {
    format: "hmac-sha256",
    password: "test",
    wrong: "ory",
    hash: "$hmac-sha256$ZTAzMWJhMWMyOTM4YjFkMjgzZjkxOWExZGY5YWM2NmMxOTJhN2RkNzQ0MzJkNWZkNGFkYTI5OTk0MWJhMTA5Zg==$MTIzNDU=",
  },
  {
    format: "hmac-sha512",
    password: "test",
    wrong: "ory",
    hash: "$hmac-sha512$OTFmODY0ZTI1NmU0ZjVhYjhiMDViZGFmNGVmNGZmMGVlNTY4ODYwNWJhYTk4MTk2OTgyMzc3NzI1YTc4MzcxMTMzNzZmY2YxYTk5MGMxM2RiZDk2MGFmMmQ1YzRmODdlMGMwYTNkYjcyNjY0NjM4NGE4YzQ2MjNhZDZkN2UxZTE=$MTIzNDU=",
  },
];
