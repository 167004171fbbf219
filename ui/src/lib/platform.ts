// Which desktop the window runs on, from the webview's user agent: it picks the font (app.css).

export type Platform = "linux" | "mac" | "windows";

export function platformOf(userAgent: string): Platform {
  if (/Windows NT/.test(userAgent)) return "windows";
  if (/Macintosh|Mac OS X/.test(userAgent)) return "mac";
  return "linux";
}
