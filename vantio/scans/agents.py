"""Who is behind a user agent: a person's browser or a bot, and on what kind of device."""

# Lower-case fragments of the user agents of crawlers, link previewers of chat apps and social
# networks, headless browsers and HTTP libraries: they fetch the URL without a person behind it.
# Substring tests, because one regular expression with these alternatives costs more than the
# rest of a scan (~20 µs).
_BOT_MARKERS = (
    "bot",  # Googlebot, bingbot, Slackbot, Twitterbot, TelegramBot, Discordbot, LinkedInBot, ...
    "spider",
    "crawl",
    "slurp",
    "preview",  # SkypeUriPreview, BingPreview, Google Page Preview, Quora Link Preview
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "whatsapp",
    "telegram",
    "discord",
    "slack",
    "linkedin",
    "pinterest",
    "embedly",
    "vkshare",
    "outbrain",
    "iframely",
    "headless",  # HeadlessChrome, and Firefox's and others' headless modes
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "lighthouse",
    "google-inspectiontool",
    "yandex",
    "duckduckgo",
    "ahrefs",
    "semrush",
    "curl",
    "wget",
    "python",  # python-requests, python-urllib, python-httpx, aiohttp's Python/3.x
    "go-http-client",
    "okhttp",
    "java/",
    "httpclient",  # Apache-HttpClient, .NET's HttpClient
    "libwww",
    "axios",
    "node-fetch",
    "scrapy",
)
# Every browser a person scans with (Safari, Chrome, Firefox, Edge, Samsung Internet, the in-app
# browsers of Instagram, Facebook, WeChat, the QR scanner apps' web views) starts its user agent
# with "Mozilla/"; "Opera/" is Opera before 2013.
_BROWSER_PREFIXES = ("mozilla/", "opera/")
_TABLET_MARKERS = ("ipad", "tablet", "kindle", "silk/", "playbook")
_MOBILE_MARKERS = (
    "mobi",
    "iphone",
    "ipod",
    "android",
    "blackberry",
    "opera mini",
    "iemobile",
    "windows phone",
)


def is_bot(user_agent: str | None) -> bool:
    """Not a person's browser: no user agent, one that is not a browser's, or a bot's, a
    headless browser's or an HTTP library's (curl, wget, python-requests, Go-http-client, ...)."""
    if not user_agent:
        return True
    agent = user_agent.lower()
    if not agent.startswith(_BROWSER_PREFIXES):
        return True
    return any(marker in agent for marker in _BOT_MARKERS)


def device_type(user_agent: str | None) -> str:
    if not user_agent:
        return "unknown"
    agent = user_agent.lower()
    if any(marker in agent for marker in _TABLET_MARKERS) or (
        "android" in agent and "mobile" not in agent
    ):
        return "tablet"
    if any(marker in agent for marker in _MOBILE_MARKERS):
        return "mobile"
    return "desktop"
