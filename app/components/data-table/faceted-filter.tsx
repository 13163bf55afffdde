/**
 * A one-of-several filter for a server-side table (e.g. status): a labelled select whose value is a
 * URL parameter, "All" meaning unset. Put it inside a DataTableToolbar.
 */
export function DataTableFacetedFilter({
  name,
  label,
  value,
  options,
  allLabel = "All",
}: {
  name: string;
  label: string;
  value: string | undefined;
  options: ReadonlyArray<{ value: string; label: string; count?: number }>;
  allLabel?: string;
}) {
  return (
    <label>
      {label}
      <select name={name} defaultValue={value ?? ""}>
        <option value="">{allLabel}</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
            {option.count === undefined ? "" : ` (${option.count})`}
          </option>
        ))}
      </select>
    </label>
  );
}
