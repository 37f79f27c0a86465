// Documents: upload with per-file outcomes, the paginated list, one document's chunks.

import { ApiError, call, getJSON } from "./api.js";
import { collectionPicker, picked, uploadTarget } from "./collections.js";
import {
  counted, date, documentHref, documentLink, errorBox, h, number, pager, sleep,
} from "./dom.js";

const PAGE_SIZE = 20;
const CHUNKS_PAGE_SIZE = 50;
const JOB_POLL_MS = 500;

function confirmDelete(document) {
  const dialog = window.document.getElementById("confirm-dialog");
  const name = document.title || document.source_name || document.id;
  window.document.getElementById("confirm-text").textContent =
    `"${name}" and its ${counted(document.chunk_count, "chunk")} will be removed from every ` +
    "index: answers will no longer cite it.";
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"),
      { once: true });
  });
}

async function deleteDocument(document, status) {
  if (!(await confirmDelete(document))) return false;
  try {
    await call(`/v1/documents/${encodeURIComponent(document.id)}`, { method: "DELETE" });
  } catch (error) {
    status.replaceChildren(errorBox(error));
    return false;
  }
  status.replaceChildren(h("p", { class: "notice" }, `Deleted "${document.title}".`));
  return true;
}

function storedText(results) {
  return results.flatMap((result, index) => [
    index ? ", " : "",
    result.duplicate ? "duplicate of " : "stored as ",
    documentLink(result),
    ` (${counted(result.chunk_count, "chunk")})`,
  ]);
}

async function followJob(accepted, row, status) {
  const bar = h("progress", { max: 1, value: 0, "aria-label": "embedding progress" });
  const count = h("span", {}, `0 / ${number(accepted.total_chunks)} chunks`);
  row.dataset.outcome = "job";
  status.replaceChildren("background job: ", bar, " ", count);
  for (;;) {
    await sleep(JOB_POLL_MS);
    const job = await getJSON(accepted.status_url);
    bar.value = job.progress;
    count.textContent = `${number(job.embedded_chunks)} / ${number(job.total_chunks)} chunks`;
    if (job.status === "failed") {
      throw new ApiError(0, "job_failed", job.error, "the documents it finished are kept");
    }
    if (job.status === "succeeded") return job.documents;
  }
}

function sendingProgress(status) {
  const bar = h("progress", { max: 1, value: 0, "aria-label": "upload progress" });
  status.replaceChildren("uploading ", bar);
  return (share) => {
    bar.value = share;
    if (share >= 1) status.replaceChildren("reading and embedding…");
  };
}

async function uploadOne(file, list) {
  const status = h("span", { class: "status" });
  const row = h("li", { class: "outcome", "data-outcome": "uploading" },
    h("span", { class: "name" }, file.name), status);
  list.append(row);
  const form = new FormData();
  form.append("files", file, file.name);
  form.append("collection", uploadTarget());
  try {
    const init = { method: "POST", body: form };
    const response = await call("/v1/documents", init, sendingProgress(status));
    const body = await response.json();
    const results = response.status === 202 ? await followJob(body, row, status) : body.documents;
    row.dataset.outcome = results.every((r) => r.duplicate) ? "duplicate" : "stored";
    status.replaceChildren(...storedText(results));
  } catch (error) {
    row.dataset.outcome = "rejected";
    status.replaceChildren(errorBox(error));
  }
}

function uploadPanel(onChange) {
  const outcomes = h("ul", { class: "outcomes", "aria-live": "polite" });
  const upload = async (files) => {
    for (const file of files) {
      await uploadOne(file, outcomes);
      onChange();
    }
  };
  const input = h("input", {
    id: "file-input", type: "file", multiple: true, class: "visually-hidden",
    accept: ".txt,.md,.html,.htm,.pdf,.docx,.pptx,.xlsx,.csv,.epub,.odt,.json,.jsonl,.eml,.msg," +
      ".png,.jpg,.jpeg,.tif,.tiff,.webp",
    onchange: () => { upload([...input.files]); input.value = ""; },
  });
  const drop = h("div", { class: "drop" },
    h("p", {}, "Drop files here, or "),
    input,
    h("label", { for: "file-input", class: "button primary" }, "Choose files"),
    h("p", { class: "hint" }, "text, PDF, Office, e-books, mail · several at once · into ",
      h("strong", { id: "upload-target" }, uploadTarget())));
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    upload([...event.dataTransfer.files]);
  });
  return h("section", { class: "panel", "aria-labelledby": "upload-title" },
    h("h2", { id: "upload-title" }, "Upload"), drop, outcomes);
}

function documentRow(document, status, refresh) {
  const remove = async () => { if (await deleteDocument(document, status)) refresh(); };
  return h("tr", { "data-id": document.id },
    h("td", {}, documentLink(document)),
    h("td", {}, document.collection),
    h("td", { class: "num" }, `${number(document.char_count)} chars`),
    h("td", { class: "num" }, number(document.chunk_count)),
    h("td", {}, date(document.created_at)),
    h("td", {}, h("button", {
      type: "button", class: "danger quiet", onclick: remove,
      "aria-label": `Delete ${document.title || document.id}`,
    }, "Delete")));
}

function documentTable(page, status, refresh) {
  return h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {},
      ["Title", "Collection", "Size", "Chunks", "Added", ""]
        .map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, page.items.map((d) => documentRow(d, status, refresh)))));
}

async function fillList(section, status, pageNumber) {
  const offset = (pageNumber - 1) * PAGE_SIZE;
  const refresh = () => fillList(section, status, pageNumber);
  let page;
  try {
    const only = picked() ? `&collection=${encodeURIComponent(picked())}` : "";
    page = await getJSON(`/v1/documents?limit=${PAGE_SIZE}&offset=${offset}${only}`);
  } catch (error) {
    section.replaceChildren(errorBox(error));
    return;
  }
  if (page.total === 0) {
    section.replaceChildren(h("p", { class: "empty" }, "No documents yet: upload some above."));
    return;
  }
  section.replaceChildren(
    documentTable(page, status, refresh),
    pager(page.total, offset, page.items.length, (n) => `#/documents?page=${n}`, pageNumber));
}

export async function documentsView(main, params) {
  const pageNumber = Math.max(1, Number(params.get("page")) || 1);
  const status = h("div", { "aria-live": "polite" });
  const list = h("div", { class: "list" }, h("p", { class: "muted" }, "Loading…"));
  const refresh = () => fillList(list, status, pageNumber);
  const picker = await collectionPicker(() => documentsView(main, new URLSearchParams()));
  main.replaceChildren(
    h("h1", {}, "Documents"),
    picker,
    uploadPanel(refresh),
    h("section", { class: "panel", "aria-labelledby": "list-title" },
      h("h2", { id: "list-title" }, "Stored"), status, list));
  document.title = "Documents · rag-api";
  return refresh();
}

function facts(document) {
  const rows = [
    ["Collection", document.collection],
    ["File", document.source_name || "(text)"],
    ["Type", document.media_type],
    ["Size", `${number(document.char_count)} characters`],
    ["Chunks", number(document.chunk_count)],
    ["Added", date(document.created_at)],
    ["SHA-256", document.content_hash],
  ];
  if (Object.keys(document.metadata).length) rows.push(["Metadata", JSON.stringify(document.metadata)]);
  return h("dl", { class: "facts" }, rows.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
}

function chunkItem(chunk, highlighted) {
  return h("li", { id: `chunk-${chunk.position}`, class: highlighted ? "chunk cited" : "chunk" },
    h("p", { class: "muted" }, [`Passage ${number(chunk.position + 1)}`, chunk.place?.label,
      `characters ${number(chunk.start)}–${number(chunk.end)}`].filter(Boolean).join(" · ")),
    h("p", { class: "passage-text" }, chunk.text));
}

export async function documentView(main, id, params) {
  const at = params.has("at") ? Number(params.get("at")) : null;
  const fromAt = at === null ? 1 : Math.floor(at / CHUNKS_PAGE_SIZE) + 1;
  const pageNumber = Math.max(1, Number(params.get("page")) || fromAt);
  const offset = (pageNumber - 1) * CHUNKS_PAGE_SIZE;
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  let page;
  try {
    page = await getJSON(`/v1/documents/${encodeURIComponent(id)}/chunks` +
      `?limit=${CHUNKS_PAGE_SIZE}&offset=${offset}`);
  } catch (error) {
    main.replaceChildren(h("p", {}, h("a", { href: "#/documents" }, "← Documents")), errorBox(error));
    return;
  }
  const document = page.document;
  const status = h("div", { "aria-live": "polite" });
  const remove = async () => {
    if (await deleteDocument(document, status)) window.location.hash = "#/documents";
  };
  window.document.title = `${document.title} · rag-api`;
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/documents" }, "← Documents")),
    h("h1", {}, document.title || document.id),
    facts(document), status,
    h("p", {}, h("button", { type: "button", class: "danger", onclick: remove },
      "Delete this document")),
    h("h2", {}, "Chunks"),
    h("ol", { class: "chunks", start: offset + 1 }, page.items.map((c) => chunkItem(c, c.position === at))),
    pager(page.total, offset, page.items.length,
      (n) => documentHref(id, `page=${n}`), pageNumber));
  const cited = at === null ? null : window.document.getElementById(`chunk-${at}`);
  if (cited) cited.scrollIntoView({ block: "center" });
}
