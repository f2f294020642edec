/**
 * @module eta templates embedded as text, rendered with autoEscape (every `<%= %>` is escaped).
 */
import { Eta } from "eta/core";
import guestsTpl from "../../web/templates/guests.eta" with { type: "text" };
import layoutTpl from "../../web/templates/layout.eta" with { type: "text" };
import loginTpl from "../../web/templates/login.eta" with { type: "text" };
import overviewTpl from "../../web/templates/overview.eta" with { type: "text" };
import pageTpl from "../../web/templates/page.eta" with { type: "text" };

export type TemplateName = "page" | "overview" | "guests" | "login";

export interface Renderer {
  render(name: TemplateName, data: object): string;
}

export function createRenderer(): Renderer {
  const eta = new Eta({ autoEscape: true, autoTrim: [false, "nl"], cache: true });
  const templates: Record<TemplateName | "layout", string> = {
    layout: layoutTpl,
    page: pageTpl,
    overview: overviewTpl,
    guests: guestsTpl,
    login: loginTpl,
  };
  for (const [name, text] of Object.entries(templates)) eta.loadTemplate(`@${name}`, text);
  return { render: (name, data) => eta.render(`@${name}`, data) };
}
