import { expect, test } from "./support/fixtures.ts";
import { postSignIn } from "./support/staff-accounts.ts";

test("an admin adds a staff member, changes the role, and deactivates the account — its session ends at once", async ({
  page,
  browser,
  baseURL,
  checkPage,
  signInAs,
}) => {
  await signInAs("admin");
  await page.goto("/admin/staff");
  await expect(page.getByRole("heading", { level: 1, name: "Staff" })).toBeVisible();
  await checkPage("staff-list");

  // Field errors next to the fields.
  const form = page.locator("form", { has: page.getByRole("button", { name: "Add staff member" }) });
  await form.getByLabel("Email").fill("not-an-email");
  await form.getByRole("button", { name: "Add staff member" }).click();
  await expect(form.getByText("Enter a valid email address")).toBeVisible();
  await expect(form.getByText("Enter a name")).toBeVisible();
  await checkPage("staff-create-errors");

  const email = `new-${Date.now()}@e2e.test`;
  await form.getByLabel("Name").fill("Nora New");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Role").selectOption("support");
  await form.getByRole("button", { name: "Add staff member" }).click();
  await expect(page.getByTestId("create-result")).toHaveText(`Created ${email} (support).`);
  const password = (await page.getByTestId("one-time-password").locator("code").textContent())!.trim();
  expect(password.length).toBeGreaterThanOrEqual(12);
  await checkPage("staff-created");

  // The new member signs in elsewhere with the generated password.
  const other = await browser.newContext({ baseURL });
  const otherPage = await other.newPage();
  await postSignIn(otherPage.request, baseURL!, { email, password });
  await otherPage.goto("/audit");
  await expect(otherPage.getByRole("heading", { level: 1, name: "Audit trail" })).toBeVisible();

  const row = page.locator(`tr[data-email="${email}"]`);
  await row.getByLabel(`Role of ${email}`).selectOption("finance");
  await row.getByRole("button", { name: "Save role" }).click();
  await expect(page.getByTestId("staff-result")).toHaveText(`${email} is now finance.`);

  await row.getByText("Deactivate…").click();
  await row.getByRole("button", { name: "Deactivate Nora New" }).click();
  await expect(page.getByTestId("staff-result")).toHaveText(`Deactivated ${email}; their sessions have ended.`);
  await expect(row).toHaveAttribute("data-active", "false");
  await checkPage("staff-deactivated");

  // Their open session is gone: the next page asks them to sign in, and signing in is refused.
  await otherPage.goto("/audit");
  await expect(otherPage).toHaveURL(/\/login\?redirectTo=%2Faudit$/);
  const refused = await otherPage.request.post("/login", {
    form: { email, password },
    headers: { Origin: new URL(baseURL!).origin },
    maxRedirects: 0,
  });
  expect(refused.status()).toBe(403);
  await other.close();

  // Every change is in the audit trail.
  await page.goto(`/audit?action=staff.&actor=`);
  for (const action of ["staff.create", "staff.change_role", "staff.deactivate"]) {
    await expect(page.getByTestId("audit-table").getByText(action).first()).toBeVisible();
  }
});
