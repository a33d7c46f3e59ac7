// The dashboard works without this file; it only adds a copy button for new secrets.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(
    () => { button.textContent = "Copied"; },
    () => {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      button.textContent = "Press Ctrl+C";
    },
  );
});

// A final action asks first: a button (or form) with data-confirm opens a <dialog>; without this
// file the server answers with a confirmation page instead.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const submitter = event.submitter;
  const source = submitter && submitter.dataset.confirm ? submitter : form;
  const message = source.dataset ? source.dataset.confirm : null;
  if (!message || form.querySelector('input[name="confirm"][value="yes"]')) return;
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  event.preventDefault();
  dialog.querySelector("#confirm-dialog-message").textContent = message;
  dialog.querySelector("#confirm-dialog-yes").textContent =
    (submitter && submitter.dataset.confirmButton) || form.dataset.confirmButton || "Confirm";
  dialog.returnValue = "";
  dialog.onclose = () => {
    if (dialog.returnValue !== "yes") return;
    const flag = document.createElement("input");
    flag.type = "hidden";
    flag.name = "confirm";
    flag.value = "yes";
    form.appendChild(flag);
    if (submitter && form.requestSubmit) form.requestSubmit(submitter); else form.submit();
  };
  dialog.showModal();
});

// Every row of a list ticked or none at once.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all) return;
  document.querySelectorAll(`input[name="ids"][form="${all.dataset.selectAll}"]`).forEach((box) => {
    box.checked = all.checked;
  });
});

// Filters stay open on a wide screen; on a phone they fold away (the server opens them when set).
if (window.matchMedia("(min-width: 641px)").matches) {
  document.querySelectorAll("details[data-open-wide]").forEach((box) => { box.open = true; });
}

// The new-voucher form shows only the chosen type's fields (all show without this file).
const voucherType = document.querySelector('select[name="type"]');
if (voucherType) {
  const show = () => document.querySelectorAll("fieldset.guided").forEach((box) => {
    box.hidden = box.dataset.for !== voucherType.value;
  });
  voucherType.addEventListener("change", show);
  show();
}
