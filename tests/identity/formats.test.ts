import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isEmail, isEmailLoose, isGoHostname } from "../../server/identity/email.ts";
import { goNumber, goQuote, goSyntax } from "../../server/identity/go-format.ts";
import { normalizeEmail, normalizeIdentifier, normalizePhone } from "../../server/identity/normalize.ts";
import { isPhone } from "../../server/identity/phone.ts";

describe("email format (Go jsonschema rules)", () => {
  test("accepts addr-specs with a hostname domain", () => {
    for (const valid of [
      "a@b.co",
      "first.last+tag@sub-domain.example.com",
      "user@localhost",
      "o'hara!#$%&*/=?^_`{|}~@example.org",
      '"john doe"@example.com',
      '"a@b"@example.com',
      "jürgen@example.de",
      // net/mail skips leading blanks, so Go accepts this one.
      " leading-blank@example.com",
    ]) {
      assert.equal(isEmail(valid), true, valid);
    }
  });

  test("refuses everything else", () => {
    for (const invalid of [
      "not-an-email",
      "",
      "@example.com",
      "a@",
      "a@b@",
      "a@-b.com",
      "a@b_c.com",
      "a@bü.de",
      "a..b@example.com",
      ".a@example.com",
      "a.@example.com",
      "a b@example.com",
      "a@example.com ",
      // Passes the hostname check (trailing dot trimmed) but not the addr-spec parse.
      "x@example.com.",
      "Ann <ann@example.com>",
      `${"x".repeat(65)}@example.com`,
      `a@${"b".repeat(64)}.com`,
      `${"x".repeat(60)}@${"d".repeat(60)}.${"d".repeat(60)}.${"d".repeat(60)}.${"d".repeat(60)}.com`,
    ]) {
      assert.equal(isEmail(invalid), false, invalid);
    }
    assert.equal(isEmail(`${"x".repeat(64)}@example.com`), true);
  });

  test("hostname quirk: only the first character of the whole name is checked for '-'", () => {
    assert.equal(isGoHostname("-a.com"), false);
    assert.equal(isGoHostname("a.-b.com"), true);
    assert.equal(isGoHostname("a-.com"), false);
  });

  test("email_loose only wants something on both sides of @", () => {
    assert.equal(isEmailLoose("a@b"), true);
    assert.equal(isEmailLoose("weird..but@ok"), true);
    assert.equal(isEmailLoose("no-at-sign"), false);
    assert.equal(isEmailLoose("a@"), false);
    assert.equal(isEmailLoose("a b@c"), false);
  });
});

describe("tel format", () => {
  test("valid international numbers only", () => {
    assert.equal(isPhone("+4917612345678"), true);
    assert.equal(isPhone("+49 (176) 1234-5678"), true);
    assert.equal(isPhone("+1 650 253 0000"), true);
    assert.equal(isPhone("017612345678"), false, "no default region: national form does not parse");
    assert.equal(isPhone("+49176123"), false, "too short for the range");
    assert.equal(isPhone("12"), false);
    assert.equal(isPhone("not a number"), false);
  });
});

describe("normalisation (contract §14.3)", () => {
  test("normalizeIdentifier folds case, width and invisible characters", () => {
    assert.equal(normalizeIdentifier("  Foo@Example.COM "), "foo@example.com");
    assert.equal(normalizeIdentifier("ＪｏｈｎＤｏｅ"), "johndoe");
    assert.equal(normalizeIdentifier("jo\u200bhn\u202e"), "john");
    assert.equal(normalizeIdentifier("Some User"), "some user");
    assert.equal(normalizeIdentifier("ÅSA"), "åsa");
  });

  test("normalizeIdentifier turns valid phone numbers into E.164 and leaves other + strings alone", () => {
    assert.equal(normalizeIdentifier("+49 (176) 1234-5678"), "+4917612345678");
    assert.equal(normalizeIdentifier("+４９ １７６ １２３４５６７８"), "+4917612345678");
    assert.equal(normalizeIdentifier("+123"), "+123");
  });

  test("normalizeIdentifier keeps unparsable @ strings folded", () => {
    assert.equal(normalizeIdentifier("A@B@C"), "a@b@c");
  });

  test("normalizeEmail reduces to lower-case local@domain", () => {
    assert.equal(normalizeEmail(" Ann@Example.COM "), "ann@example.com");
    assert.equal(normalizeEmail("Ann Smith <Ann@Example.com>"), "ann@example.com");
    assert.equal(normalizeEmail('"Ann Smith" <ann@example.com>'), "ann@example.com");
    assert.equal(normalizeEmail("ann\u200b@example.com"), "ann@example.com");
    assert.equal(normalizeEmail("not-an-email"), undefined);
    assert.equal(normalizeEmail("a..b@example.com"), undefined);
  });

  test("normalizePhone returns E.164 or undefined", () => {
    assert.equal(normalizePhone(" +49 176 12345678 "), "+4917612345678");
    assert.equal(normalizePhone("+1 (650) 253-0000"), "+16502530000");
    assert.equal(normalizePhone("017612345678"), undefined);
    assert.equal(normalizePhone("12"), undefined);
  });
});

describe("Go formatting helpers", () => {
  test("goNumber mirrors %v for floats", () => {
    assert.equal(goNumber(1200), "1200");
    assert.equal(goNumber(2.5), "2.5");
    assert.equal(goNumber(123456), "123456");
    assert.equal(goNumber(1e6), "1e+06");
    assert.equal(goNumber(1234567), "1.234567e+06");
    assert.equal(goNumber(0.0001), "0.0001");
    assert.equal(goNumber(0.00001), "1e-05");
    assert.equal(goNumber(-1e21), "-1e+21");
    assert.equal(goNumber(0), "0");
  });

  test("goQuote mirrors strconv.Quote", () => {
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote("line\nbreak\t"), '"line\\nbreak\\t"');
    assert.equal(goQuote("é 😀"), '"é 😀"');
    assert.equal(goQuote("\u0001\u007f"), '"\\x01\\x7f"');
    assert.equal(goQuote("\u200b"), '"\\u200b"');
  });

  test("goSyntax mirrors %#v of json.Number-decoded values", () => {
    assert.equal(goSyntax("a"), '"a"');
    assert.equal(goSyntax(5), '"5"');
    assert.equal(goSyntax(false), "false");
    assert.equal(goSyntax(null), "<nil>");
  });
});
