// Client-safe sign-in rules shared by the sign-in page and server/auth.

/** A break-glass sign-in (password sign-in off) must say why, in words an auditor can follow. */
export const MIN_BREAK_GLASS_REASON = 10;
