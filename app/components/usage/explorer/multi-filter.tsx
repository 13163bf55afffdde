// A multi-select filter of the explorer's GET form: checkboxes under one disclosure, the key repeated in the URL.

/** Checkboxes named `name` (one URL value each); none checked = all. The summary says what is chosen. */
export function MultiFilter({
  name,
  label,
  values,
  options,
}: {
  name: string;
  label: string;
  values: readonly string[];
  options: ReadonlyArray<{ value: string; label: string }>;
}) {
  const chosen = options.filter((o) => values.includes(o.value)).map((o) => o.label);
  // A value in the URL the options do not list (a plan no longer in the catalog) stays chosen.
  const extra = values.filter((v) => !options.some((o) => o.value === v));
  const summary =
    values.length === 0
      ? "All"
      : [...chosen, ...extra].length <= 2
        ? [...chosen, ...extra].join(", ")
        : `${values.length} chosen`;
  return (
    <fieldset className="multi-filter" data-testid={`filter-${name}`}>
      <legend className="visually-hidden">{label}</legend>
      <details>
        <summary>
          {label}: <span className="multi-filter__value">{summary}</span>
        </summary>
        <div className="multi-filter__options" role="group" aria-label={label}>
          {[...options, ...extra.map((v) => ({ value: v, label: v }))].map((o) => (
            <label key={o.value}>
              <input type="checkbox" name={name} value={o.value} defaultChecked={values.includes(o.value)} /> {o.label}
            </label>
          ))}
        </div>
      </details>
    </fieldset>
  );
}
