import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyAddress, isIpAddress, parseIpv4, parseIpv6 } from "../../../shared/domain/ip-ranges.js";

describe("classifyAddress (IPv4)", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.0.1", "link-local"],
    ["169.254.170.2", "link-local"],
    ["169.254.169.254", "metadata"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["192.0.0.8", "reserved"],
    ["192.88.99.1", "reserved"],
    ["240.0.0.1", "reserved"],
    ["254.255.255.255", "reserved"],
    ["192.0.2.10", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.200", "documentation"],
    ["198.18.0.1", "benchmark"],
    ["198.19.255.255", "benchmark"],
  ])("classifies %s as %s", (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "52.95.110.1",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
  ])("allows the public address %s", (address) => {
    expect(classifyAddress(address)).toBeUndefined();
  });
});

describe("classifyAddress (IPv6)", () => {
  it.each([
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["[::1]", "loopback"],
    ["::", "unspecified"],
    ["fc00::1", "private"],
    ["fd12:3456:789a::1", "private"],
    ["fec0::1", "reserved"], // deprecated site-local: not a network anyone may opt into
    ["64:ff9b:1::a00:1", "reserved"], // local-use NAT64: may carry any IPv4 address
    ["fe80::1", "link-local"],
    ["FE80::1%eth0", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fd00:ec2::254", "metadata"],
    ["ff02::1", "multicast"],
    ["ff0e::101", "multicast"],
    ["2001:db8::1", "documentation"],
    ["3fff:0fff::1", "documentation"],
    ["2001:2::1", "benchmark"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"], // Teredo
    ["2001:1ff::1", "reserved"],
    ["100::1", "reserved"], // discard-only
    ["::8.8.8.8", "reserved"], // deprecated IPv4-compatible
    ["4000::1", "reserved"], // outside global unicast 2000::/3
  ])("classifies %s as %s", (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each([
    // IPv4-mapped ::ffff:0:0/96, dotted and hex forms
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:a00:1", "private"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:192.168.0.1", "private"],
    ["::ffff:100.64.0.1", "cgnat"],
    // NAT64 64:ff9b::/96
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["64:ff9b::10.1.2.3", "private"],
    // 6to4 2002:AABB:CCDD::/48
    ["2002:7f00:1::1", "loopback"],
    ["2002:a9fe:a9fe::", "metadata"],
    ["2002:c0a8:101:1::1", "private"],
    ["2002:e000:1::", "multicast"],
  ])("judges %s by the IPv4 address it carries (%s)", (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each([
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2a05:d018::1",
    "2001:200::1", // just past 2001::/23
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
  ])("allows the public address %s", (address) => {
    expect(classifyAddress(address)).toBeUndefined();
  });
});

describe("classifyAddress input", () => {
  it.each([
    "",
    "localhost",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "010.0.0.1",
    "0x7f.0.0.1",
    "1::2::3",
    "12345::",
    ":1",
  ])("throws TypeError for %j, which is not an IP address", (text) => {
    expect(isIpAddress(text)).toBe(false);
    expect(() => classifyAddress(text)).toThrow(TypeError);
  });

  it("judges every IPv4 address the same when written as IPv4-mapped IPv6", () => {
    fc.assert(
      fc.property(fc.ipV4(), (a) => {
        expect(classifyAddress(`::ffff:${a}`)).toBe(classifyAddress(a));
        expect(classifyAddress(`64:ff9b::${a}`)).toBe(classifyAddress(a));
      }),
    );
  });

  it("parses every IPv6 text form fast-check generates to the same value as its expanded form", () => {
    fc.assert(
      fc.property(fc.ipV6(), (a) => {
        const value = parseIpv6(a);
        expect(value).toBeDefined();
        const expanded = (value ?? 0n)
          .toString(16)
          .padStart(32, "0")
          .replace(/(.{4})(?!$)/g, "$1:");
        expect(parseIpv6(expanded)).toBe(value);
      }),
    );
  });

  it("parses dotted quads to their 32-bit value", () => {
    expect(parseIpv4("1.2.3.4")).toBe(0x01020304);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
  });
});
