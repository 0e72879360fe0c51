"""The demo community's brand, people, categories and conversations (all written for Parley).

Acme Cloud is a made-up hosting company; every name, address and number here is fictional.
Each thread: category slug, author key, title, Markdown body, tags, and replies as
(author key, Markdown) pairs. `age` is how many days ago the thread started.
"""
from __future__ import annotations

BRANDING = {
    "name": "Acme Cloud Support",
    "tagline": "Answers from the Acme Cloud team and thousands of customers.",
    "primary_color": "#0b6e4f",
    "accent_color": "#f4a259",
    "footer_links": [
        {"label": "Status", "url": "https://status.acme-cloud.example"},
        {"label": "Documentation", "url": "https://docs.acme-cloud.example"},
        {"label": "Open a ticket", "url": "https://acme-cloud.example/support"},
        {"label": "Latest", "url": "/latest"},
    ],
    "footer_text": "Acme Cloud Ltd. · Community answers are not a substitute for a support ticket on urgent issues.",
    "custom_css": "",
    "base_url": None,
}

# key: (display name, username, email, role, verified customer)
PEOPLE = {
    "dana": ("Dana Whitfield", "dana", "admin@acme-cloud.example", "admin", False),
    "priya": ("Priya Raman", "priya", "priya@acme-cloud.example", "staff", False),
    "marco": ("Marco Bellini", "marco", "marco@acme-cloud.example", "moderator", False),
    "sam": ("Sam Ortega", "sam_ortega", "sam@ortega-studio.example", "customer", True),
    "lena": ("Lena Fischer", "lena", "lena.fischer@example.com", "customer", False),
    "tomasz": ("Tomasz Nowak", "tnowak", "tomasz@nowak-dev.example", "customer", False),
    "aiko": ("Aiko Tanaka", "aiko", "aiko@example.net", "customer", False),
    "rex": ("Rex Deals", "cheap_vps_rex", "rex@vps-bargains.example", "customer", False),
}

# slug: (name, visibility, description)
CATEGORIES = {
    "announcements": ("Announcements", "public", "Product news, maintenance windows and incident reports from Acme Cloud."),
    "getting-started": ("Getting Started", "public", "New to Acme Cloud? Ask anything about your first server, site or database."),
    "networking-dns": ("Networking, DNS & SSL", "public", "Domains, DNS records, certificates, load balancers and firewalls."),
    "api-automation": ("API & Automation", "public", "API keys, the acme CLI, Terraform and CI/CD pipelines."),
    "billing": ("Billing & Accounts", "customers", "Invoices, plans, payment methods and account access. Verified customers only."),
    "ideas": ("Product Ideas", "members", "Suggest features and vote on what we build next. Sign in to join in."),
    "staff-lounge": ("Staff Lounge", "staff", "Internal notes for the support team. Not visible to customers."),
}

THREADS: list[dict] = [
    # --- announcements
    {
        "category": "announcements", "author": "dana", "age": 40, "pinned": True, "tags": ["welcome"],
        "title": "Welcome to the Acme Cloud community",
        "body": "Hi everyone! This is the place to ask questions, share what you have built and tell us what "
                "you want next.\n\n* **Search first**: many questions already have an accepted answer.\n"
                "* **Never post secrets**: API keys, passwords and invoices stay in a private ticket.\n"
                "* Staff replies carry a badge, so you know the answer is official.\n\nHappy hosting!",
        "replies": [("lena", "Great to have a place for this. The old mailing list was impossible to search."),
                    ("tomasz", "Is there a way to follow a category so I get an email for new threads?"),
                    ("priya", "@tnowak yes: open a category (or a tag) and choose *Watching* for every post, or "
                              "*Watching first post* for new threads only. Instant emails or a daily digest: "
                              "pick one in your notification settings.")],
    },
    {
        "category": "announcements", "author": "priya", "age": 12, "tags": ["maintenance", "databases"],
        "title": "Scheduled maintenance: managed PostgreSQL in eu-central, Saturday 02:00–04:00 UTC",
        "body": "We are upgrading the storage layer of managed PostgreSQL clusters in **eu-central**.\n\n"
                "* Expected impact: one failover per cluster, usually under 30 seconds.\n"
                "* Single-node clusters will be unavailable for up to 5 minutes.\n"
                "* No action is needed; connection poolers reconnect automatically.\n\n"
                "Follow https://status.acme-cloud.example for live updates.",
        "replies": [("sam", "Can we choose the exact window per cluster? 02:00 UTC is peak time for our customers in Asia."),
                    ("priya", "You can: in the cluster's *Settings → Maintenance* pick any 2-hour window before Friday "
                              "and we will respect it.")],
    },
    {
        "category": "announcements", "author": "dana", "age": 6, "tags": ["incident", "networking"],
        "title": "Incident report: elevated API latency on 3 June",
        "body": "Between 14:05 and 14:47 UTC about 8% of API requests in us-east took longer than 5 seconds, and "
                "some dashboard pages timed out.\n\n**Cause:** a configuration push doubled the connection limit on "
                "one proxy tier, which exhausted memory on two hosts.\n\n**What we changed:** configuration pushes "
                "now roll out to one zone at a time with automatic rollback on error-rate alerts.\n\n"
                "We are sorry for the disruption.",
        "replies": [("tomasz", "Thanks for the honest write-up. Our Terraform runs failed with 504s during that window, "
                               "good to know it was not us."),
                    ("aiko", "Will affected customers get SLA credits?"),
                    ("dana", "Yes, credits for the affected hour are applied automatically on the next invoice.")],
    },
    # --- getting started
    {
        "category": "getting-started", "author": "lena", "age": 35, "tags": ["ssh", "servers"],
        "title": "Permission denied (publickey) when connecting to my first server",
        "body": "I created a server with the Ubuntu image and added my SSH key in the dashboard, but `ssh root@203.0.113.10` "
                "answers `Permission denied (publickey)`. What am I missing?",
        "replies": [("priya", "Keys are only copied when the server is **created**. If you added the key afterwards, "
                              "use *Console → Reset root access* or rebuild. Also check that your client offers the right "
                              "key: `ssh -i ~/.ssh/id_ed25519 -v root@203.0.113.10`."),
                    ("lena", "That was it: I added the key five minutes after creating the server. Reset worked, thanks!")],
    },
    {
        "category": "getting-started", "author": "aiko", "age": 30, "tags": ["wordpress", "apps"],
        "title": "Best way to run a small WordPress site?",
        "body": "I run a bakery website with maybe 2,000 visits a month. Should I use the one-click WordPress app or a "
                "plain server with my own setup?",
        "replies": [("tomasz", "For that traffic the one-click app on the smallest plan is plenty. It comes with "
                               "automatic updates and daily snapshots, which matter more than tuning."),
                    ("marco", "Agreed. Turn on the built-in CDN for images and you will never notice the server."),
                    ("rex", "Why pay Acme prices? My VPS bargain club has WordPress hosting for 0.99 a year, "
                            "unlimited everything. DM me for a coupon code!!!")],
    },
    {
        "category": "getting-started", "author": "tomasz", "age": 28, "tags": ["backups", "snapshots"],
        "title": "Difference between backups and snapshots?",
        "body": "The dashboard offers both *Backups* (20% of the server price) and *Snapshots*. Do I need both?",
        "replies": [("priya", "**Backups** are automatic, daily, kept for 7 days and stored in another zone. "
                              "**Snapshots** are manual and you keep them until you delete them; take one before risky "
                              "changes like a distribution upgrade. Most customers enable backups and take snapshots "
                              "occasionally."),
                    ("tomasz", "Clear, thank you. Enabling backups now.")],
    },
    {
        "category": "getting-started", "author": "sam", "age": 22, "tags": ["servers", "resize"],
        "title": "Can I resize a server without downtime?",
        "body": "Our API server on the 4 GB plan is running hot. Can I move to 8 GB without taking it offline?",
        "replies": [("priya", "Resizing needs a reboot, typically 1–2 minutes. For zero downtime, put two servers "
                              "behind a load balancer and resize them one at a time."),
                    ("sam", "Makes sense. We will add the load balancer first.")],
    },
    {
        "category": "getting-started", "author": "aiko", "age": 9, "tags": ["email", "smtp"],
        "title": "Outgoing email from my server never arrives",
        "body": "My contact form uses PHP `mail()` and nothing reaches Gmail. Port 25 seems blocked?",
        "replies": [("marco", "Port 25 is blocked on new accounts to fight spam. Use a transactional email provider over "
                              "port 587 with authentication; deliverability will be far better anyway."),
                    ("aiko", "Switched to SMTP on 587 with my provider and it works. Thanks!")],
       
    },
    {
        "category": "getting-started", "author": "aiko", "age": 5, "tags": ["object-storage"],
        "title": "Serving images from object storage: public bucket or signed URLs?",
        "body": "I moved product photos to an object storage bucket. Should the bucket be public, or should my app "
                "hand out signed URLs?",
        "replies": [("priya", "For images everyone may see, a public-read bucket behind the CDN is simplest and cheapest. "
                              "Use signed URLs only for private files such as invoices or user uploads."),
                    ("aiko", "Public bucket plus CDN it is. Pages load noticeably faster.")],
    },
    {
        "category": "getting-started", "author": "lena", "age": 4, "tags": ["firewall", "security"],
        "title": "Which ports should my firewall allow for a web server?",
        "body": "Setting up the cloud firewall for a Node.js app behind nginx. I am unsure what to open.",
        "replies": [("tomasz", "Inbound 80 and 443 from anywhere, 22 only from your office IP. Keep the Node port "
                               "(3000 or similar) closed: nginx reaches it on localhost.")],
    },
    # --- networking, dns, ssl
    {
        "category": "networking-dns", "author": "tomasz", "age": 33, "tags": ["dns"],
        "title": "DNS changes not visible after two hours",
        "body": "I pointed `shop.example.org` to my new server's IP, but half my team still sees the old site.",
        "replies": [("priya", "Resolvers cache records for the **TTL** of the old record. If it was 86400, some resolvers "
                              "keep the old IP for up to a day. Check with `dig +trace shop.example.org`; next time lower "
                              "the TTL to 300 a day before moving."),
                    ("tomasz", "The old TTL was indeed 86400. Everything switched the next morning.")],
    },
    {
        "category": "networking-dns", "author": "lena", "age": 26, "tags": ["ssl", "certificates"],
        "title": "Let's Encrypt certificate fails with 'too many failed authorizations'",
        "body": "I retried certificate issuance a few times with a typo in the domain and now it refuses.",
        "replies": [("marco", "That is Let's Encrypt's rate limit: 5 failed validations per hour per hostname. Wait an "
                              "hour, fix the domain, and test with the staging environment first."),
                    ("lena", "Waited, fixed the typo, certificate issued. Thanks Marco.")],
    },
    {
        "category": "networking-dns", "author": "sam", "age": 19, "tags": ["load-balancer", "ssl"],
        "title": "Load balancer shows backend as unhealthy even though the app works",
        "body": "Our two servers answer fine on port 8080, but the load balancer marks both **unhealthy**.",
        "replies": [("priya", "The health check defaults to `GET /` on port 80. Point it at port 8080 and a path that "
                              "answers 200 quickly, for example `/healthz`. Also allow the load balancer's private range "
                              "in your server firewall."),
                    ("sam", "It was the firewall. Both are healthy now.")],
    },
    {
        "category": "networking-dns", "author": "aiko", "age": 15, "tags": ["dns", "email"],
        "title": "How do I set up SPF and DKIM records?",
        "body": "My newsletter lands in spam. I read I need SPF and DKIM in DNS but I do not know what to enter.",
        "replies": [("marco", "Your email provider gives you both values. In *Networking → Domains* add a TXT record on "
                              "the root like `v=spf1 include:_spf.yourprovider.example ~all`, and the DKIM TXT record on "
                              "the selector host they give you (e.g. `s1._domainkey`). Add a DMARC record too.")],
    },
    {
        "category": "networking-dns", "author": "tomasz", "age": 7, "tags": ["ipv6", "networking"],
        "title": "Does every server get an IPv6 address?",
        "body": "I only see an IPv4 address on my server. Is IPv6 available?",
        "replies": [("priya", "Yes, tick *Enable IPv6* under *Networking* on the server; it takes effect after a reboot."
                              " Servers created after March have it on by default.")],
    },
    {
        "category": "networking-dns", "author": "lena", "age": 2, "tags": ["ssl", "wildcard"],
        "title": "Wildcard certificate for all customer subdomains?",
        "body": "Our SaaS gives each customer `name.app.example.com`. Can the managed certificates cover a wildcard?",
        "replies": [("marco", "Wildcards need a DNS-01 challenge, so the domain must use Acme Cloud DNS. Then request "
                              "`*.app.example.com` in *Certificates* and renewal is automatic.")],
    },
    # --- api & automation
    {
        "category": "api-automation", "author": "tomasz", "age": 31, "tags": ["api-keys", "security"],
        "title": "How do I rotate an API key without breaking deployments?",
        "body": "Our CI uses one API key everywhere. I want to rotate it regularly without a big-bang switch.",
        "replies": [("priya", "Create the **new** key first, roll it out to your CI secrets, watch the *Last used* "
                              "column of the old key drop to nothing, then revoke the old key. Keys can also carry an "
                              "expiry date so you are reminded."),
                    ("tomasz", "The *Last used* column is exactly what I needed. Done.")],
    },
    {
        "category": "api-automation", "author": "sam", "age": 24, "tags": ["terraform"],
        "title": "Terraform provider keeps recreating my firewall",
        "body": "Every `terraform plan` shows the firewall as *must be replaced* even without changes.",
        "replies": [("tomasz", "Are your rules in a different order than the API returns them? Provider versions before "
                               "2.4 compared the list in order. Upgrading fixed it for us."),
                    ("sam", "We were on 2.1. After upgrading the plan is clean.")],
       
    },
    {
        "category": "api-automation", "author": "aiko", "age": 18, "tags": ["api", "rate-limits"],
        "title": "API returns 429 Too Many Requests during our nightly job",
        "body": "We list all servers and their metrics every night and hit 429s after a while.",
        "replies": [("priya", "The limit is 250 requests per minute per token. Honour the `Retry-After` header, and use "
                              "`?per_page=200` to cut the number of calls. The metrics endpoint also accepts several "
                              "server ids at once."),
                    ("aiko", "Batching the metrics calls brought us from 1,400 requests to 90.")],
    },
    {
        "category": "api-automation", "author": "lena", "age": 11, "tags": ["cli", "ci"],
        "title": "Using the acme CLI in GitHub Actions",
        "body": "Is there an official way to install the `acme` CLI in a CI job?",
        "replies": [("marco", "Download the release binary and set `ACME_TOKEN` from your secrets:\n\n```\ncurl -sSL "
                              "https://get.acme-cloud.example/cli | sh\nacme servers list\n```\n\nUse a token scoped to "
                              "the project you deploy to.")],
    },
    {
        "category": "api-automation", "author": "tomasz", "age": 3, "tags": ["api", "webhooks"],
        "title": "Webhook signatures: which header holds the HMAC?",
        "body": "We receive event webhooks and want to verify them. The docs mention a signature but not the header.",
        "replies": [("priya", "`X-Acme-Signature` holds `sha256=<hex>` of the raw body with your webhook secret. Compare "
                              "it in constant time and reject events whose `X-Acme-Timestamp` is older than 5 minutes.")],
    },
    # --- billing (verified customers)
    {
        "category": "billing", "author": "sam", "age": 29, "tags": ["invoices"],
        "title": "How do I add our VAT number to invoices?",
        "body": "Our accountant needs the company VAT number on every invoice, including past ones.",
        "replies": [("priya", "Add it in *Billing → Company details*. New invoices include it right away; for past "
                              "invoices open a ticket and we will reissue them."),
                    ("sam", "Added and the ticket is open. Thanks.")],
    },
    {
        "category": "billing", "author": "sam", "age": 21, "tags": ["payments"],
        "title": "Card payment declined although the card works elsewhere",
        "body": "Our renewal failed with *card declined*. The card is fine for other services.",
        "replies": [("priya", "Banks often block the first charge from a new merchant country. Ask the bank to allow "
                              "charges from *Acme Cloud Ltd*, then use *Retry payment*; your services stay up for 7 days "
                              "meanwhile."),
                    ("sam", "The bank had flagged it. Retry went through.")],
    },
    {
        "category": "billing", "author": "sam", "age": 14, "tags": ["plans", "pricing"],
        "title": "Are servers billed by the hour or by the month?",
        "body": "If I create a test server for an afternoon, do I pay a whole month?",
        "replies": [("marco", "Hourly, capped at the monthly price. An afternoon costs a few cents. Note that stopped "
                              "servers are still billed: destroy them (or snapshot and destroy) to stop charges.")],
    },
    {
        "category": "billing", "author": "sam", "age": 5, "tags": ["account", "team"],
        "title": "Moving resources from my personal account to our company team",
        "body": "I started on a personal account and we now have a company team. Can I transfer servers?",
        "replies": [("priya", "Yes: *Settings → Transfer resources*. Servers keep their IPs; backups move with them. The "
                              "receiving team must have a valid payment method.")],
    },
    # --- product ideas (members)
    {
        "category": "ideas", "author": "lena", "age": 27, "tags": ["dashboard"],
        "title": "Idea: dark mode for the dashboard",
        "body": "I spend most evenings in the dashboard. A dark theme would be easier on the eyes.",
        "replies": [("aiko", "+1, and please follow the operating system setting automatically."),
                    ("tomasz", "Yes please."),
                    ("dana", "This is on the roadmap for next quarter. We will post here when it is in beta.")],
    },
    {
        "category": "ideas", "author": "tomasz", "age": 20, "tags": ["databases", "backups"],
        "title": "Point-in-time recovery for managed MySQL",
        "body": "PostgreSQL clusters have point-in-time recovery but MySQL only has daily backups. Any plans?",
        "replies": [("priya", "We are testing binary-log shipping for MySQL now. If you want to join the private beta, "
                              "say so here and we will contact you."),
                    ("sam", "We would join the beta.")],
    },
    {
        "category": "ideas", "author": "aiko", "age": 13, "tags": ["billing", "alerts"],
        "title": "Budget alerts by email",
        "body": "I would love an email when this month's spend passes an amount I choose.",
        "replies": [("lena", "Same. Ideally per project, not just for the whole account.")],
    },
    {
        "category": "ideas", "author": "lena", "age": 8, "tags": ["regions"],
        "title": "A region in South America",
        "body": "Latency from São Paulo to us-east is around 130 ms. A region in Brazil would help our users a lot.",
        "replies": [("marco", "Thanks for the numbers, they help us make the case. Which services would you need there "
                              "first: servers, databases, object storage?"),
                    ("lena", "Servers and object storage. Databases could follow.")],
    },
    {
        "category": "ideas", "author": "tomasz", "age": 1, "tags": ["api", "cli"],
        "title": "Let API tokens be limited to read-only",
        "body": "Our monitoring only reads metrics. A read-only scope would limit the damage if the token leaks.",
        "replies": [],
    },
    # --- staff lounge
    {
        "category": "staff-lounge", "author": "marco", "age": 16, "tags": ["process"],
        "title": "Canned reply for port 25 questions",
        "body": "We get the blocked port 25 question daily. Proposed text: explain spam prevention, recommend 587 with "
                "a provider, link the deliverability guide. Objections?",
        "replies": [("priya", "Looks good. Add that accounts older than 90 days with a paid invoice can request an "
                              "unblock.")],
    },
    {
        "category": "staff-lounge", "author": "dana", "age": 10, "tags": ["community"],
        "title": "Marking answers as solved: guidelines",
        "body": "When a customer confirms a fix, mark the thread solved. If they do not answer within a week and the "
                "reply is clearly right, mark it solved anyway and say why.",
        "replies": [("marco", "Agreed. I will also merge the duplicate DNS propagation threads into the solved one.")],
    },
    {
        "category": "staff-lounge", "author": "priya", "age": 3, "tags": ["incident"],
        "title": "Follow-up list after the API latency incident",
        "body": "Customers who asked about SLA credits in the incident thread: check that the credit appears on their "
                "next invoice preview, and reply in the thread once it does.",
        "replies": [("dana", "Thanks Priya. Billing confirmed the credits are queued.")],
    },
]


# --- what staff did after the conversations above (seeded through the real services) ---------------

# Replies staff marked as verified answers: (thread title, author key of the reply). Priya verifies.
VERIFIED = [
    ("Permission denied (publickey) when connecting to my first server", "priya"),
    ("DNS changes not visible after two hours", "priya"),
    ("Let's Encrypt certificate fails with 'too many failed authorizations'", "marco"),
    ("Terraform provider keeps recreating my firewall", "tomasz"),
]

# Askers who also accepted the answer themselves: (thread title, author key of the reply).
ACCEPTED = [
    ("Permission denied (publickey) when connecting to my first server", "priya"),
    ("Difference between backups and snapshots?", "priya"),
    ("Outgoing email from my server never arrives", "marco"),
    ("How do I rotate an API key without breaking deployments?", "priya"),
    ("How do I add our VAT number to invoices?", "priya"),
]

# Fresh questions nobody has answered yet: they wait in the staff inbox.
UNANSWERED = [
    {
        "category": "networking-dns", "author": "aiko",
        "title": "Reverse DNS (PTR record) for my server's IPv4 address",
        "body": "My mail provider asks for a PTR record pointing my server's IP to `mail.aiko-bakery.example`. "
                "Where do I set that in the dashboard?",
    },
    {
        "category": "api-automation", "author": "lena",
        "title": "acme CLI: how do I switch between two teams?",
        "body": "I belong to my own team and to a client's team. `acme servers list` only shows mine. "
                "Is there a flag or profile setting to pick the team?",
    },
]

# A private thread (only the asker and staff can read it), answered officially by staff.
PRIVATE = {
    "category": "networking-dns", "author": "sam",
    "title": "Our server's IP address is on a spam blocklist",
    "body": "Mail from our server `srv-48213` (203.0.113.57) bounces because the IP is listed on a blocklist. "
            "We never sent bulk mail from it. Posting privately because it names our servers and addresses.",
    "answer": ("priya", "Thanks, Sam. That address belonged to another customer before you and was listed then. "
                        "I have filed the delisting request with the blocklist and added a note to your account; "
                        "bounces should stop within 24 hours. If they don't, reply here and we will move you to a "
                        "fresh IP."),
}

# Flagged replies waiting in the moderation queue: (thread title, author key, [(flagger key, reason, note)]).
FLAGGED = [
    ("Best way to run a small WordPress site?", "rex",
     [("aiko", "spam", "Advertising another host in my thread."),
      ("lena", "spam", "")]),
]

# Categories and tags members watch (the welcome thread tells them how): (person, "category" or
# "tag", slug or name, level). Tomasz then hears of the new thread in Networking but not of Sam's
# private one there; Lena's listing counts what she has not read in API & Automation.
WATCHES = [
    ("tomasz", "category", "announcements", "watching_first_post"),
    ("tomasz", "category", "networking-dns", "watching"),
    ("lena", "category", "api-automation", "tracking"),
    ("sam", "category", "ideas", "muted"),
    ("aiko", "tag", "dns", "watching"),
]
