// A labelled form control with its hint and field errors, the building block of the console's forms.

import type { InputHTMLAttributes, ReactNode } from "react";

/**
 * One labelled form control with its hint and its field error underneath (errors come from the
 * action's `z.flattenError(e).fieldErrors`). The control is wired to both through aria-describedby.
 */
export function FormField({
  id,
  label,
  errors,
  hint,
  children,
}: {
  id: string;
  label: ReactNode;
  errors?: string[] | undefined;
  hint?: ReactNode;
  /** The control; receives the ids through `describedBy(...)` below. */
  children: (control: {
    id: string;
    "aria-invalid": true | undefined;
    "aria-describedby": string | undefined;
  }) => ReactNode;
}) {
  const error = errors?.[0];
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A text-like input inside a FormField. */
export function TextField({
  id,
  label,
  errors,
  hint,
  ...input
}: {
  id: string;
  label: ReactNode;
  errors?: string[] | undefined;
  hint?: ReactNode;
} & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <FormField id={id} label={label} errors={errors} hint={hint}>
      {(control) => <input {...input} {...control} />}
    </FormField>
  );
}

/** A whole-form message (the "_form" errors, a stale refusal), announced to screen readers; nothing when empty. */
export function FormAlert({ message, testId }: { message: ReactNode | undefined; testId?: string }) {
  if (!message) return null;
  return (
    <p className="form-alert" role="alert" data-testid={testId}>
      {message}
    </p>
  );
}
