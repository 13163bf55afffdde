// The usage explorer's customer cell: the customer's name from the directory index, linked, with its ref.

import { Link } from "@remix-run/react";
import { customerHref } from "~/contracts/customer-ref";
import type { CustomerLabels } from "~/contracts/usage";

/**
 * The name of the customer `customerRef` (a Commet id or externalId) links to, with its external id (the ref when it
 * has none); the ref alone when the index does not know it. `data-value` is its Commet id (the CSV's customer_id).
 */
export function CustomerCell({ customerRef, labels }: { customerRef: string; labels: CustomerLabels }) {
  const label = labels[customerRef];
  const name = label ? (label.fullName ?? label.email) : null;
  return (
    <span className="customer-cell" data-customer-ref={customerRef} data-value={label?.id ?? customerRef}>
      <Link to={customerHref(customerRef)}>{name ?? customerRef}</Link>
      {name ? (
        <>
          {" "}
          <code className="muted small">{label?.externalId ?? customerRef}</code>
        </>
      ) : null}
    </span>
  );
}

/** A customer as plain text (labels of charts): its name, else the ref. */
export function customerName(customerRef: string, labels: CustomerLabels): string {
  const label = labels[customerRef];
  return label ? (label.fullName ?? label.email) : customerRef;
}
