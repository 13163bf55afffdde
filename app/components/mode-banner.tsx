/** SANDBOX (amber) or LIVE (red), from the `livemode` flag Commet returns; grey while unknown. */
export function ModeBanner({ livemode }: { livemode: boolean | null }) {
  if (livemode === null) {
    return (
      <span
        className="mode-banner mode-banner--unknown"
        data-testid="mode-banner"
        title="Commet returned no objects yet, so its mode is unknown"
      >
        Mode unknown
      </span>
    );
  }
  return livemode ? (
    <span
      className="mode-banner mode-banner--live"
      data-testid="mode-banner"
      title="Live mode: real customers and real money"
    >
      LIVE
    </span>
  ) : (
    <span
      className="mode-banner mode-banner--sandbox"
      data-testid="mode-banner"
      title="Sandbox mode: test data, no real money moves"
    >
      SANDBOX
    </span>
  );
}
