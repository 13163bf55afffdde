// The usage explorer's customer cell: the customer's name from the directory index, linked, with its ref.

import { Link } from "@remix-run/react";
import { customerHref } from "~/contracts/customer-ref";
import type { CustomerLabels } from "~/contracts/usage";

/** The name of the customer `customerRef` (a Commet id or externalId) links to, with the ref itself; the ref alone when the index does not know it. */
export function CustomerCell({ customerRef, labels }: { customerRef: string; labels: CustomerLabels }) {
  const label = labels[customerRef];
  const name = label ? (label.fullName ?? label.email) : null;
  return (
    <span className="customer-cell" data-customer-ref={customerRef}>
      <Link to={customerHref(customerRef)}>{name ?? customerRef}</Link>
      {name ? (
        <>
          {" "}
          <code className="muted small">{customerRef}</code>
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
