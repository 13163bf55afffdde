// The customer page's Profile panel: name, email, IDs and billing details as Commet holds them.

import type { PanelResult, ProfileView } from "~/contracts/customer-view";
import { formatDate } from "~/contracts/format";
import { Fact, Panel } from "./panel";

export function ProfilePanel({ resolve }: { resolve: Promise<PanelResult<ProfileView>> }) {
  return (
    <Panel title="Profile" name="profile" resolve={resolve} skeletonRows={4}>
      {(p) => (
        <dl className="facts">
          <Fact label="Name">{p.fullName ?? <span className="muted">No name</span>}</Fact>
          <Fact label="Email">{p.email}</Fact>
          <Fact label="External ID">
            {p.externalId ? <code>{p.externalId}</code> : <span className="muted">—</span>}
          </Fact>
          <Fact label="Commet ID">
            <code>{p.id}</code>
          </Fact>
          <Fact label="Tax document">{p.taxDocument}</Fact>
          <Fact label="Timezone">{p.timezone}</Fact>
          <Fact label="Customer since">
            <time dateTime={p.createdAt}>{formatDate(p.createdAt)}</time>
          </Fact>
          <Fact label="Metadata">
            {p.metadata ? <code className="metadata">{JSON.stringify(p.metadata)}</code> : null}
          </Fact>
        </dl>
      )}
    </Panel>
  );
}
