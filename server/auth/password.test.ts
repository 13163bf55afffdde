import { describe, expect, it } from "vitest";
import { generatePassword, hashPassword, needsRehash, passwordSchema, verifyPassword } from "./password.ts";

describe("password hashing (scrypt)", () => {
  it("stores parameters, salt and key in the hash and verifies only the right password", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(hash).not.toContain("correct horse");
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
    expect(needsRehash(hash)).toBe(false);
  });

  it("salts every hash", async () => {
    const [a, b] = await Promise.all([hashPassword("same password!"), hashPassword("same password!")]);
    expect(a).not.toBe(b);
    expect(await verifyPassword("same password!", b)).toBe(true);
  });

  it("verifies hashes made with other (weaker) parameters and asks for a rehash", async () => {
    // a hash with N=1024 made the same way (parameters travel with the hash)
    const { scryptSync, randomBytes } = await import("node:crypto");
    const salt = randomBytes(16);
    const key = scryptSync("old password", salt, 32, { N: 1024, r: 8, p: 1 });
    const old = `scrypt$1024$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
    expect(await verifyPassword("old password", old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
  });

  it("treats malformed or hostile hashes as a mismatch, never as an exception", async () => {
    for (const bad of [
      "",
      "plain",
      "bcrypt$x",
      "scrypt$3$8$1$aaaaaaaaaaa$bbbbbbbbbbbbbbbbbbbbbbb",
      "scrypt$1073741824$8$1$aaaaaaaaaaaa$bbbbbbbbbbbbbbbbbbbbbbbb",
    ]) {
      expect(await verifyPassword("x", bad)).toBe(false);
    }
  });

  it("generates long random passwords that satisfy the policy", () => {
    const p = generatePassword();
    expect(p).toHaveLength(24);
    expect(passwordSchema.safeParse(p).success).toBe(true);
    expect(generatePassword()).not.toBe(p);
    expect(passwordSchema.safeParse("short").success).toBe(false);
  });
});
