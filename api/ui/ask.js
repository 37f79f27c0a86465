// Ask: a question answered as it streams, [n] markers that open the cited passage in its
// context, and a retrieve-only view of the ranked passages with their scores.

import { ApiError, events, getJSON, postJSON } from "./api.js";
import { collectionPicker, searched } from "./collections.js";
import { documentHref, errorBox, h, number } from "./dom.js";

const CONTEXT_CHUNKS = 1; // passages shown on each side of a cited one

// A run of consecutive chunks back as one text: chunks overlap, and each knows its offsets.
function joined(chunks) {
  let text = "";
  let end = chunks[0].start;
  for (const chunk of chunks) {
    if (chunk.start > end) text += " … ";
    if (chunk.end > end) text += chunk.text.slice(Math.max(0, end - chunk.start));
    end = Math.max(end, chunk.end);
  }
  return { text, start: chunks[0].start };
}

async function passageContext(hit) {
  const offset = Math.max(0, hit.position - CONTEXT_CHUNKS);
  const page = await getJSON(`/v1/documents/${encodeURIComponent(hit.document_id)}/chunks` +
    `?offset=${offset}&limit=${2 * CONTEXT_CHUNKS + 1}`);
  const run = page.items.length ? joined(page.items) : { text: hit.text, start: hit.start };
  const from = hit.start - run.start;
  const to = hit.end - run.start;
  if (from < 0 || to > run.text.length) return [h("mark", {}, hit.text)];
  return [run.text.slice(0, from), h("mark", {}, run.text.slice(from, to)), run.text.slice(to)];
}

// On a wide screen the panel scrolls on its own: bring the passage near its top, leaving the
// page where it is (scrollIntoView would move the page as well).
function scrollPanelTo(panel, mark) {
  if (panel.scrollHeight <= panel.clientHeight) return;
  const above = mark.getBoundingClientRect().top - panel.getBoundingClientRect().top;
  panel.scrollTop += above - panel.clientHeight / 5;
}

async function openPassage(panel, hit, label) {
  const body = h("div", { class: "passage-text" }, h("mark", {}, hit.text));
  const heading = h("h2", { id: "passage-title", tabindex: "-1" }, hit.title || hit.document_id);
  panel.replaceChildren(
    h("div", { class: "passage-head" }, h("p", { class: "muted" }, label),
      h("button", { type: "button", class: "quiet", onclick: () => { panel.hidden = true; } },
        "Close")),
    heading,
    h("p", { class: "muted" }, [hit.place?.label, `passage ${number(hit.position + 1)}`,
      `characters ${number(hit.start)}–${number(hit.end)}`].filter(Boolean).join(" · ")),
    body,
    h("p", {}, h("a", { href: documentHref(hit.document_id, `at=${hit.position}`) },
      "Open the document at this passage")));
  panel.hidden = false;
  heading.focus(); // on a phone this scrolls down to the panel; on a wide screen it is in view
  try {
    body.replaceChildren(...(await passageContext(hit)));
    scrollPanelTo(panel, body.querySelector("mark"));
  } catch (error) {
    body.after(errorBox(error));
  }
}

// The answer's text with each [n] that names a citation turned into a link to it.
function linkedAnswer(text, citations, open) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const citation = citations[Number(match[1]) - 1];
    if (!citation) continue;
    parts.push(text.slice(last, match.index));
    parts.push(h("a", {
      href: "#", class: "cite", "aria-label": `source ${match[1]}: ${citation.title}`,
      onclick: (event) => { event.preventDefault(); open(citation); },
    }, match[0]));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function modeLine(mode, model) {
  if (mode === "llm") return `Written by the LLM (${model}) from the passages below.`;
  return "Extractive answer: sentences quoted from the passages below, not written by an LLM " +
    "(none is configured, or no passage matched).";
}

// "report.pdf, p. 87": the passage's document and, where its file has one, its place.
function sourceName(hit) {
  return [hit.title || hit.document_id, hit.place?.label].filter(Boolean).join(", ");
}

function sourceList(citations, cited, open) {
  return h("ol", { class: "sources" }, citations.map((citation) => h("li", {},
    h("button", { type: "button", class: "link", onclick: () => open(citation) },
      `[${citation.number}] ${sourceName(citation)}`),
    cited.includes(citation.number) ? h("span", { class: "tag" }, "cited") : null,
    h("p", { class: "snippet" }, citation.text.slice(0, 240)))));
}

async function ask(output, request, open) {
  const meta = h("p", { class: "muted", id: "answer-mode" }, "Searching…");
  const text = h("div", { class: "answer-text", id: "answer-text" });
  const sources = h("div", {});
  output.replaceChildren(h("h2", {}, "Answer"), meta, text, sources);
  output.setAttribute("aria-busy", "true");
  let citations = [];
  let answer = "";
  const body = {
    question: request.text, search_mode: request.mode, top_k: request.top_k, stream: true,
    ...searched(),
  };
  const response = await postJSON("/v1/query", body);
  for await (const { event, data } of events(response)) {
    if (event === "citations") {
      citations = data.citations;
      meta.textContent = modeLine(data.mode, data.model);
      sources.replaceChildren(h("h3", {}, "Sources"), sourceList(citations, [], open));
    } else if (event === "delta") {
      answer += data.text;
      text.replaceChildren(...linkedAnswer(answer, citations, open));
    } else if (event === "error") {
      throw new ApiError(0, data.error.type, data.error.message, data.error.hint);
    } else if (event === "done") {
      text.replaceChildren(...linkedAnswer(data.answer, citations, open));
      sources.replaceChildren(h("h3", {}, "Sources"), sourceList(citations, data.cited, open));
      output.dataset.done = "true";
    }
  }
  output.setAttribute("aria-busy", "false");
}

async function retrieveOnly(output, request, open) {
  const body = { query: request.text, mode: request.mode, top_k: request.top_k, ...searched() };
  const found = await (await postJSON("/v1/retrieve", body)).json();
  const items = found.results.map((hit, index) => h("li", {},
    h("p", {},
      h("button", { type: "button", class: "link", onclick: () => open(hit) }, sourceName(hit)),
      h("span", { class: "score" }, ` score ${hit.score.toFixed(4)}`),
      h("span", { class: "muted" }, ` · passage ${number(hit.position + 1)}`)),
    h("p", { class: "snippet" }, hit.text.slice(0, 400))));
  output.replaceChildren(h("h2", {}, `Passages (${found.mode})`),
    items.length ? h("ol", { class: "ranked" }, items)
      : h("p", { class: "empty" }, "Nothing matched. Upload documents, or try other words."));
  output.dataset.done = "true";
}

function askForm(onSubmit) {
  const question = h("textarea", {
    id: "question", name: "question", rows: 3, required: true, maxlength: 10000,
    placeholder: "What would you like to know?",
  });
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      question.form.requestSubmit();
    }
  });
  const form = h("form", { class: "ask" },
    h("label", { for: "question" }, "Question"), question,
    h("div", { class: "options" },
      h("label", {}, "Retrieval ",
        h("select", { name: "mode" }, ["hybrid", "dense", "keyword"].map((m) => h("option", { value: m }, m)))),
      h("label", {}, "Passages (top_k) ",
        h("input", { name: "top_k", type: "number", min: 1, max: 100, placeholder: "default" }))),
    h("div", { class: "actions" },
      h("button", { type: "submit", value: "ask", class: "primary" }, "Ask"),
      h("button", { type: "submit", value: "retrieve" }, "Retrieve only")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const topK = fields.get("top_k");
    const request = { text: fields.get("question"), mode: fields.get("mode") };
    if (topK) request.top_k = Number(topK);
    onSubmit(request, event.submitter && event.submitter.value === "retrieve");
  });
  return form;
}

export async function askView(main) {
  const output = h("section", { class: "output", "aria-live": "polite" });
  const panel = h("aside", { class: "passage panel", id: "passage", hidden: true,
    "aria-labelledby": "passage-title" });
  const open = (hit) => openPassage(panel, hit,
    hit.number ? `Source [${hit.number}]` : `Score ${hit.score.toFixed(4)}`);
  const submit = async (request, retrieve) => {
    delete output.dataset.done;
    panel.hidden = true;
    try {
      await (retrieve ? retrieveOnly(output, request, open) : ask(output, request, open));
    } catch (error) {
      output.setAttribute("aria-busy", "false");
      output.append(errorBox(error));
    }
  };
  document.title = "Ask · rag-api";
  // Needs the key: a service with keys asks for one now, not at the first question.
  const picker = await collectionPicker(() => {});
  main.replaceChildren(h("h1", {}, "Ask"), picker,
    h("div", { class: "ask-layout" }, h("div", {}, askForm(submit), output), panel));
}
