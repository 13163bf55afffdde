/** The reason of an ops write: a short list and free text (required for "Other"). */
import type { FieldErrors } from "~/contracts/ops-forms";
import { FormField } from "~/components/form-field";

export function ReasonFields({
  id,
  reasons,
  errors,
  code,
  text,
  onCode,
  onText,
}: {
  id: string;
  reasons: Record<string, string>;
  errors: FieldErrors;
  code: string;
  text: string;
  onCode: (value: string) => void;
  onText: (value: string) => void;
}) {
  return (
    <>
      <FormField id={`${id}-reason`} label="Reason" errors={errors.reasonCode}>
        {(control) => (
          <select {...control} name="reasonCode" value={code} onChange={(e) => onCode(e.target.value)}>
            <option value="">Choose a reason…</option>
            {Object.entries(reasons).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        )}
      </FormField>
      <FormField
        id={`${id}-reason-text`}
        label={code === "other" ? "Details (required)" : "Details (optional)"}
        errors={errors.reasonText}
      >
        {(control) => (
          <input
            {...control}
            name="reasonText"
            autoComplete="off"
            placeholder="e.g. ticket 4812, customer asked by email"
            value={text}
            onChange={(e) => onText(e.target.value)}
          />
        )}
      </FormField>
    </>
  );
}
