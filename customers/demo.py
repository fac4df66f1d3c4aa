# ruff: noqa: E501 -- the catalogue vocabulary is prose; wrapping it would not help.
"""Deterministic synthetic demo data: segments, a product and content catalogue, customers
with a learnable churn signal, and their interaction history.

The catalogue text is hand-written per category and per topic because the recommendation
work embeds it with a sentence-transformer: a trail running shoe, a hydration vest, the
article "A beginner's guide to trail running" and a marathon-training podcast must land
near each other, so descriptions carry real product types, materials, features and uses.

Customers and events are drawn with numpy in fixed-size chunks (each chunk has its own
generator derived from the seed), turned into model instances one chunk at a time and
written with ``bulk_create``, so 100,000 customers / 2,000,000 events never sit in memory
at once. The catalogue stays 120 products / 200 content items at every scale: more
customers mean more behaviour over the same items, which is what the recommenders and the
churn model need; a bigger catalogue would only dilute the per-item signal.

Every demo row is marked (``DEMO-`` external ids and SKUs, ``demo-`` slugs), so a reset
removes demo data only and never touches imported customers or products.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify

from customers.models import ContentItem, Customer, Interaction, Product, Segment
from customers.services import customer_count_compact
from growthai.db import tables_vacuum_analyze

DEFAULT_CUSTOMERS = 45
DEFAULT_SEED = 42
DEMO_ID_PREFIX = "DEMO-"
DEMO_SLUG_PREFIX = "demo-"
BATCH_SIZE = 5000
# Customers per generation chunk: ~100k events, a few hundred MB of model instances at most.
CHUNK_CUSTOMERS = 5000
HISTORY_DAYS = 365
# Churned customers' activity ramps down linearly over this many days before churned_at.
FADE_DAYS = 75
# Events per active day for an average customer, calibrated to ~20 events per customer.
EVENTS_PER_DAY = 0.071

ProgressCallback = Callable[[int, int], None]


# --- Catalogue vocabulary ----------------------------------------------------------------
# Product types: (name, base price, material, feature, use case, topic key). Books use the
# same slots as (title, price, subject, kind of book, audience).


@dataclass(frozen=True)
class _Topic:
    key: str
    subject: str
    tags: tuple[str, ...]
    summary: str
    tips: tuple[str, str, str, str]


@dataclass(frozen=True)
class _Category:
    name: str
    code: str
    brands: tuple[str, ...]
    gear_label: str
    closers: tuple[str, ...]
    products: tuple[tuple[str, int, str, str, str, str], ...]
    topics: tuple[_Topic, ...]


CATEGORIES: tuple[_Category, ...] = (
    _Category(
        name="Electronics",
        code="ELE",
        brands=("Voltra", "Arcwave", "Nimbus", "Corelink", "Helix Audio", "Lumen"),
        gear_label="Gear that helps",
        closers=(
            "Backed by a two-year warranty and free returns.",
            "Firmware updates add new features over time.",
            "Ships in plastic-free, recyclable packaging.",
        ),
        products=(
            (
                "Noise-Cancelling Headphones",
                249,
                "memory-foam ear cushions and a brushed aluminium headband",
                "adaptive active noise cancellation with 30-hour battery life",
                "long flights, open-plan offices and focused listening",
                "wireless-audio",
            ),
            (
                "True Wireless Earbuds",
                129,
                "a pocketable charging case and soft silicone ear tips",
                "a sweat-resistant design and low-latency Bluetooth 5.3",
                "workouts, commutes and quick calls",
                "wireless-audio",
            ),
            (
                "Bluetooth Bookshelf Speaker",
                179,
                "a walnut-veneer cabinet with a woven fabric grille",
                "room-filling stereo sound and multi-room pairing",
                "living rooms, kitchens and small listening spaces",
                "wireless-audio",
            ),
            (
                "27-inch 4K Monitor",
                379,
                "a slim anodised stand with height and tilt adjustment",
                "factory-calibrated colour and a single-cable USB-C connection",
                "remote work, photo editing and spreadsheets side by side",
                "home-office",
            ),
            (
                "Mechanical Keyboard",
                119,
                "PBT keycaps on an aluminium top plate",
                "hot-swappable tactile switches and wired or wireless modes",
                "writers, programmers and long typing sessions",
                "home-office",
            ),
            (
                "USB-C Docking Station",
                159,
                "a compact aluminium shell with passive cooling",
                "dual-display output, gigabit ethernet and 100W laptop charging",
                "turning a laptop into a full home-office desk setup",
                "home-office",
            ),
            (
                "Smart Thermostat",
                199,
                "a glass-and-steel dial with a high-contrast display",
                "learning schedules and monthly energy reports",
                "cutting heating bills and keeping every room comfortable",
                "smart-home",
            ),
            (
                "Video Doorbell",
                149,
                "a weather-sealed polycarbonate housing",
                "HD video, motion alerts and two-way talk",
                "seeing who is at the door and keeping an eye on parcel deliveries",
                "smart-home",
            ),
            (
                "Mesh Wi-Fi System",
                279,
                "three compact matte-white nodes that blend into any room",
                "seamless roaming and automatic band steering",
                "large homes with dead zones, video calls and streaming in every room",
                "smart-home",
            ),
            (
                "Mirrorless Camera",
                899,
                "a magnesium-alloy body with a weather-sealed grip",
                "a 24-megapixel sensor and fast eye-tracking autofocus",
                "travel photography, street shooting and family portraits",
                "travel-photography",
            ),
            (
                "Smartphone Gimbal Stabilizer",
                109,
                "a foldable aluminium arm with a magnetic phone clamp",
                "three-axis stabilisation and automatic subject tracking",
                "smooth travel videos, vlogging and social clips",
                "travel-photography",
            ),
            (
                "Compact Travel Tripod",
                89,
                "carbon-fibre legs and a low-profile ball head",
                "a quick-release plate and a folded length of just 40 cm",
                "long exposures, landscape shots and self-timer group photos",
                "travel-photography",
            ),
            (
                "Wireless Gaming Controller",
                69,
                "textured rubber grips and a rechargeable battery",
                "remappable back buttons and drift-free hall-effect thumbsticks",
                "console and PC gaming marathons",
                "gaming",
            ),
            (
                "Gaming Headset",
                99,
                "breathable mesh ear pads and a flip-to-mute microphone",
                "spatial surround sound and a detachable boom mic",
                "competitive multiplayer games and team chat",
                "gaming",
            ),
            (
                "Streaming Webcam",
                129,
                "a glass lens in a clip-on aluminium mount",
                "1080p video at 60 frames per second with automatic light correction",
                "live streaming, video podcasts and crisp video meetings",
                "gaming",
            ),
        ),
        topics=(
            _Topic(
                "wireless-audio",
                "choosing headphones and speakers",
                ("audio", "headphones", "music", "bluetooth"),
                "How to choose headphones, earbuds and speakers that sound great and fit the way you listen.",
                (
                    "Pick over-ear noise-cancelling headphones for travel and open offices, and earbuds for workouts and commuting.",
                    "Check the codecs your phone supports: AAC suits iPhones, while LDAC or aptX bring out more detail on Android.",
                    "A bookshelf speaker sounds best a little away from the wall and at ear height.",
                    "Battery life claims assume moderate volume, so expect less with noise cancellation switched on.",
                ),
            ),
            _Topic(
                "home-office",
                "setting up a home office",
                ("home office", "remote work", "productivity", "desk setup"),
                "Build a comfortable, ergonomic desk that keeps you focused through long remote workdays.",
                (
                    "Place the top of your monitor at eye level and about an arm's length away to spare your neck.",
                    "A single USB-C dock connects your laptop to a monitor, keyboard and network with one cable.",
                    "A mechanical keyboard with tactile switches reduces typing fatigue over long writing sessions.",
                    "Put your desk near natural light, but keep windows to the side to avoid screen glare.",
                ),
            ),
            _Topic(
                "smart-home",
                "automating your home",
                ("smart home", "automation", "home security", "energy saving"),
                "Automate heating, security and Wi-Fi so your home runs efficiently and safely.",
                (
                    "Start with a smart thermostat: learning schedules often pay for themselves in lower energy bills.",
                    "Mesh Wi-Fi fixes dead zones far better than a single range extender.",
                    "Put doorbells and cameras on their own network so one weak device cannot expose the rest.",
                    "Create routines that switch lights and heating off when everyone leaves the house.",
                ),
            ),
            _Topic(
                "travel-photography",
                "travel photography",
                ("photography", "camera", "travel", "video"),
                "Take sharper photos and smoother videos on the road with the right camera and accessories.",
                (
                    "Shoot during golden hour, just after sunrise or before sunset, for soft and flattering light.",
                    "A compact tripod opens up long exposures of waterfalls, city lights and starry skies.",
                    "A gimbal stabiliser turns shaky walking footage into smooth, cinematic clips.",
                    "Back up your photos every evening while travelling so a lost memory card never costs you a trip.",
                ),
            ),
            _Topic(
                "gaming",
                "PC and console gaming",
                ("gaming", "streaming", "esports", "consoles"),
                "Upgrade your controllers, audio and streaming gear for a better gaming experience.",
                (
                    "A headset with good spatial audio helps you hear footsteps and locate opponents.",
                    "Hall-effect thumbsticks avoid the drift that wears out ordinary controllers.",
                    "For streaming, good lighting matters more than an expensive webcam.",
                    "Take a five-minute break every hour to rest your eyes and wrists during long sessions.",
                ),
            ),
        ),
    ),
    _Category(
        name="Home & Kitchen",
        code="HOM",
        brands=("Hearth & Co", "Oakline", "Copperleaf", "Nordhus", "Kinfolk Home"),
        gear_label="Kitchen and home essentials",
        closers=(
            "Backed by a five-year guarantee.",
            "Designed in Scandinavia and built to last for years of daily use.",
            "Easy to clean and dishwasher safe where it matters.",
        ),
        products=(
            (
                "Burr Coffee Grinder",
                139,
                "stainless steel conical burrs in a die-cast body",
                "40 grind settings from espresso to cold brew",
                "café-quality flavour from freshly ground beans every morning",
                "home-coffee",
            ),
            (
                "Pour-Over Coffee Kettle",
                79,
                "brushed stainless steel with a gooseneck spout",
                "precise temperature hold and a built-in brew timer",
                "slow pour-over coffee, green tea and careful brewing",
                "home-coffee",
            ),
            (
                "Espresso Machine",
                499,
                "a stainless steel chassis with a commercial-size portafilter",
                "a steam wand for silky microfoam and PID temperature control",
                "lattes, flat whites and learning home espresso",
                "home-coffee",
            ),
            (
                "Cast Iron Skillet",
                49,
                "pre-seasoned cast iron with a helper handle",
                "even heat retention on induction, gas and open fire",
                "searing steaks, crispy potatoes and one-pan dinners",
                "weeknight-cooking",
            ),
            (
                "Chef's Knife",
                89,
                "high-carbon German steel with a pakkawood handle",
                "a hand-sharpened 20 cm blade with a balanced bolster",
                "everyday chopping, dicing onions and meal prep",
                "weeknight-cooking",
            ),
            (
                "Electric Multi-Cooker",
                129,
                "a stainless steel inner pot with a locking lid",
                "pressure cooking, slow cooking and rice settings in one appliance",
                "fast weeknight stews, beans and batch cooking",
                "weeknight-cooking",
            ),
            (
                "Stand Mixer",
                349,
                "a die-cast metal body with a 5-litre stainless bowl",
                "planetary mixing with a dough hook, whisk and paddle",
                "bread dough, birthday cakes and whipped meringues",
                "home-baking",
            ),
            (
                "Enamelled Dutch Oven",
                159,
                "enamelled cast iron with a tight-fitting lid",
                "steam-trapping heat that gives sourdough a crackling crust",
                "baking crusty loaves and slow-braised casseroles",
                "home-baking",
            ),
            (
                "Nonstick Baking Sheet Set",
                45,
                "heavy-gauge aluminised steel with a ceramic nonstick coating",
                "warp-resistant rolled edges in three sizes",
                "cookies, roasted vegetables and sheet-pan suppers",
                "home-baking",
            ),
            (
                "Cordless Stick Vacuum",
                299,
                "a lightweight body with a washable HEPA filter",
                "60 minutes of run time and a detachable handheld mode",
                "quick daily cleaning of floors, stairs and pet hair",
                "home-organisation",
            ),
            (
                "Glass Food Storage Set",
                39,
                "borosilicate glass with leak-proof bamboo lids",
                "oven, freezer and dishwasher safe containers that stack neatly",
                "meal prep, leftovers and an organised fridge",
                "home-organisation",
            ),
            (
                "Bamboo Drawer Organisers",
                29,
                "sustainably sourced bamboo with expandable dividers",
                "adjustable compartments that fit most kitchen drawers",
                "decluttering utensils, cutlery and the junk drawer",
                "home-organisation",
            ),
            (
                "Memory Foam Pillow",
                69,
                "cooling gel memory foam in a removable bamboo cover",
                "adjustable loft with shredded fill you can add or remove",
                "side sleepers, neck pain and more restful nights",
                "better-sleep",
            ),
            (
                "Linen Duvet Cover",
                149,
                "stonewashed European flax linen",
                "breathable, temperature-regulating fabric that softens with every wash",
                "hot sleepers and a relaxed, natural bedroom look",
                "better-sleep",
            ),
            (
                "Blackout Curtains",
                59,
                "triple-weave fabric with a thermal backing",
                "light-blocking panels that also muffle street noise",
                "shift workers, nurseries and darker, quieter bedrooms",
                "better-sleep",
            ),
        ),
        topics=(
            _Topic(
                "home-coffee",
                "brewing coffee at home",
                ("coffee", "espresso", "pour-over", "barista skills"),
                "Brew café-quality espresso and pour-over coffee at home with fresh beans and the right gear.",
                (
                    "Grind beans just before brewing; ground coffee loses most of its aroma within an hour.",
                    "A burr grinder gives a consistent grind size, which matters more than the brewer itself.",
                    "Use water just off the boil, around 93 °C, for pour-over coffee.",
                    "Weigh coffee and water: a 1:16 ratio is a reliable starting point for filter coffee.",
                ),
            ),
            _Topic(
                "weeknight-cooking",
                "quick weeknight cooking",
                ("cooking", "recipes", "meal prep", "kitchen skills"),
                "Cook fast, healthy dinners after work with a few reliable tools and techniques.",
                (
                    "A sharp chef's knife is safer than a dull one because it does not slip off vegetables.",
                    "Preheat a cast iron skillet properly before searing to get a deep brown crust.",
                    "A multi-cooker turns dried beans into a hearty stew in under an hour.",
                    "Prep vegetables for two or three meals at once to save time during the week.",
                ),
            ),
            _Topic(
                "home-baking",
                "baking bread at home",
                ("baking", "sourdough", "bread", "cakes"),
                "From sourdough loaves to layer cakes, learn the basics of baking at home.",
                (
                    "Use your sourdough starter at its peak, when it has doubled in size after feeding.",
                    "Baking bread inside a preheated Dutch oven traps steam for a crisp, crackling crust.",
                    "Weigh flour instead of using cups for consistent results.",
                    "Let cakes and loaves cool completely before slicing so the crumb can set.",
                ),
            ),
            _Topic(
                "home-organisation",
                "organising and cleaning your home",
                ("organisation", "cleaning", "decluttering", "storage"),
                "Simple systems for a tidy kitchen, an organised fridge and a cleaner home.",
                (
                    "Declutter one drawer at a time and give every utensil a fixed home.",
                    "Clear glass containers keep leftovers visible, so less food goes to waste.",
                    "A cordless vacuum by the door makes a daily five-minute clean effortless.",
                    "Store everyday items at waist height and rarely used ones up high.",
                ),
            ),
            _Topic(
                "better-sleep",
                "sleeping better",
                ("sleep", "bedroom", "wellbeing", "rest"),
                "Set up a bedroom and an evening routine that help you fall asleep faster and sleep deeper.",
                (
                    "Keep the bedroom cool, dark and quiet; blackout curtains make a noticeable difference.",
                    "Choose a pillow loft that keeps your neck aligned with your spine.",
                    "Breathable natural fabrics such as linen help hot sleepers stay comfortable.",
                    "Go to bed and wake up at the same time every day, even at weekends.",
                ),
            ),
        ),
    ),
    _Category(
        name="Fitness",
        code="FIT",
        brands=("Stride Lab", "Apex Form", "Pulse Athletics", "Kinetic", "Tempo"),
        gear_label="Training gear that helps",
        closers=(
            "Tested by our coaches over a full training season.",
            "Free exchanges if the size or weight is not right.",
            "Part of our most popular training range.",
        ),
        products=(
            (
                "Road Running Shoes",
                139,
                "a breathable engineered mesh upper on a responsive foam midsole",
                "a carbon-infused plate and a durable rubber outsole",
                "tempo runs, long runs and marathon race day",
                "marathon-training",
            ),
            (
                "GPS Running Watch",
                299,
                "a lightweight polymer case with a sapphire lens",
                "accurate GPS pacing, heart-rate zones and training load insights",
                "following a marathon training plan and tracking every run",
                "marathon-training",
            ),
            (
                "Compression Running Socks",
                25,
                "moisture-wicking nylon with graduated compression",
                "cushioned heels and blister-preventing seamless toes",
                "long-distance running and faster leg recovery",
                "marathon-training",
            ),
            (
                "Adjustable Dumbbells",
                349,
                "steel plates with knurled grips and a storage cradle",
                "a dial that adjusts the weight from 2 to 24 kg in seconds",
                "progressive strength training in a small home gym",
                "home-strength",
            ),
            (
                "Cast Iron Kettlebell",
                59,
                "powder-coated cast iron with a wide, smooth handle",
                "a flat base and colour-coded weight markings",
                "swings, goblet squats and full-body conditioning",
                "home-strength",
            ),
            (
                "Resistance Band Set",
                35,
                "layered natural latex with padded handles and a door anchor",
                "five resistance levels from light to extra heavy",
                "mobility work, travel workouts and assisted pull-ups",
                "home-strength",
            ),
            (
                "Non-Slip Yoga Mat",
                89,
                "natural tree rubber with a polyurethane top layer",
                "a grippy surface that stays put in hot and sweaty classes",
                "daily yoga flows, pilates and stretching",
                "yoga-mobility",
            ),
            (
                "Cork Yoga Block",
                19,
                "sustainably harvested cork with rounded edges",
                "a firm, sweat-resistant surface for stable support",
                "deepening stretches and supporting balance poses",
                "yoga-mobility",
            ),
            (
                "Meditation Cushion",
                49,
                "an organic cotton cover filled with buckwheat hulls",
                "a contoured shape that tilts the pelvis into an upright posture",
                "mindfulness practice, breathwork and longer seated meditation",
                "yoga-mobility",
            ),
            (
                "Smart Indoor Bike Trainer",
                699,
                "a direct-drive flywheel in a foldable steel frame",
                "automatic resistance that syncs with virtual riding apps",
                "structured cycling workouts and winter base training",
                "indoor-cycling",
            ),
            (
                "Heart Rate Chest Strap",
                79,
                "a soft textile strap with a washable sensor pod",
                "dual Bluetooth and ANT+ connectivity with accurate beat-to-beat data",
                "zone-based cycling and running training",
                "indoor-cycling",
            ),
            (
                "Padded Cycling Shorts",
                69,
                "compressive Lycra with a multi-density chamois pad",
                "flatlock seams and silicone leg grippers",
                "long rides indoors and out without saddle soreness",
                "indoor-cycling",
            ),
            (
                "High-Density Foam Roller",
                35,
                "firm EVA foam over a hollow core",
                "a textured surface that targets knots in calves, quads and back",
                "post-run recovery and myofascial release",
                "recovery-nutrition",
            ),
            (
                "Percussion Massage Gun",
                179,
                "a quiet brushless motor with interchangeable heads",
                "five speed settings and a long-lasting battery",
                "easing sore muscles after strength training and long runs",
                "recovery-nutrition",
            ),
            (
                "Whey Protein Powder",
                45,
                "grass-fed whey isolate with no artificial colours",
                "24 grams of protein per scoop and easy mixing",
                "muscle recovery after workouts and hitting daily protein goals",
                "recovery-nutrition",
            ),
        ),
        topics=(
            _Topic(
                "marathon-training",
                "marathon training",
                ("running", "marathon", "endurance", "training plan"),
                "Train for your first marathon with a smart plan, the right shoes and steady progress.",
                (
                    "Increase your weekly mileage by no more than about ten percent to avoid injury.",
                    "Run most of your miles at an easy, conversational pace and save speed for one session a week.",
                    "Practise race-day fuelling with gels and water on your long runs.",
                    "Replace running shoes every 600 to 800 kilometres, when the cushioning starts to feel flat.",
                ),
            ),
            _Topic(
                "home-strength",
                "strength training at home",
                ("strength", "home gym", "weights", "workouts"),
                "Build strength with dumbbells, kettlebells and resistance bands in a small space.",
                (
                    "Focus on compound movements such as squats, presses, rows and deadlifts.",
                    "Progressive overload, adding a little weight or a few reps each week, drives results.",
                    "Kettlebell swings build the posterior chain and raise your heart rate at the same time.",
                    "Rest 48 hours before training the same muscle group hard again.",
                ),
            ),
            _Topic(
                "yoga-mobility",
                "yoga and mobility",
                ("yoga", "mobility", "stretching", "mindfulness"),
                "Improve flexibility, balance and calm with short daily yoga and mobility sessions.",
                (
                    "Ten minutes of daily practice beats one long session a week for flexibility.",
                    "Use a block to bring the floor closer instead of forcing a deep stretch.",
                    "A grippy mat keeps your hands and feet steady in downward dog.",
                    "Finish with a few minutes of seated breathwork or meditation to calm the nervous system.",
                ),
            ),
            _Topic(
                "indoor-cycling",
                "indoor cycling",
                ("cycling", "indoor training", "heart rate", "endurance"),
                "Get fitter on the bike all winter with structured indoor cycling workouts.",
                (
                    "Train by heart-rate or power zones so easy rides stay easy and hard intervals count.",
                    "A fan in front of the trainer keeps you cool and makes long sessions bearable.",
                    "Padded shorts prevent saddle soreness on longer indoor rides.",
                    "Mix one interval session with two longer endurance rides each week.",
                ),
            ),
            _Topic(
                "recovery-nutrition",
                "recovering from hard workouts",
                ("recovery", "sports nutrition", "protein", "muscle soreness"),
                "Recover faster between workouts with sleep, nutrition, foam rolling and massage.",
                (
                    "Aim for 20 to 30 grams of protein within a couple of hours after training.",
                    "Foam roll your calves, quads and upper back for a few minutes after runs.",
                    "A massage gun on a low setting eases soreness without bruising.",
                    "Sleep is the most powerful recovery tool: most athletes need seven to nine hours.",
                ),
            ),
        ),
    ),
    _Category(
        name="Beauty",
        code="BEA",
        brands=("Lumière", "Verdant Skin", "Bloom & Co", "Halcyon", "Pure Ritual"),
        gear_label="Products we recommend",
        closers=(
            "Dermatologist tested and cruelty free.",
            "Free from parabens and synthetic fragrance.",
            "Packaged in recycled and recyclable materials.",
        ),
        products=(
            (
                "Hydrating Facial Cleanser",
                24,
                "a gentle gel formula with ceramides and glycerin",
                "a fragrance-free, pH-balanced wash that never feels tight",
                "morning and evening cleansing of dry or sensitive skin",
                "skin-care",
            ),
            (
                "Vitamin C Serum",
                39,
                "15% stabilised vitamin C with ferulic acid",
                "an antioxidant formula that brightens dull skin and fades dark spots",
                "a morning skin care routine under sunscreen",
                "skin-care",
            ),
            (
                "Hyaluronic Acid Moisturiser",
                32,
                "a lightweight cream with multi-weight hyaluronic acid and squalane",
                "24-hour hydration that layers well under makeup",
                "dehydrated skin and a simple daily routine",
                "skin-care",
            ),
            (
                "Mineral Sunscreen SPF 50",
                28,
                "non-nano zinc oxide in a sheer, lightweight lotion",
                "broad-spectrum UVA and UVB protection that is reef friendly",
                "beach days, hiking and daily wear on sensitive skin",
                "sun-protection",
            ),
            (
                "Tinted SPF Day Cream",
                34,
                "a buildable tint with niacinamide",
                "SPF 30 protection with a natural, dewy finish",
                "a no-makeup look on busy mornings",
                "sun-protection",
            ),
            (
                "After-Sun Aloe Gel",
                16,
                "organic aloe vera with cucumber extract",
                "a cooling gel that soothes redness and rehydrates skin",
                "calming skin after too much time in the sun",
                "sun-protection",
            ),
            (
                "Sulphate-Free Shampoo",
                22,
                "a plant-based formula with argan oil and keratin",
                "a gentle lather that protects colour-treated hair",
                "frizzy, coloured or curly hair and frequent washing",
                "hair-care",
            ),
            (
                "Ionic Hair Dryer",
                149,
                "a lightweight body with a brushless motor",
                "ionic airflow and three heat settings that cut drying time",
                "fast, smooth blow-outs with less heat damage",
                "hair-care",
            ),
            (
                "Leave-In Conditioner",
                19,
                "a silky spray with coconut oil and panthenol",
                "detangling, heat protection and shine in one step",
                "wavy and curly hair routines and taming flyaways",
                "hair-care",
            ),
            (
                "Tinted Lip Balm",
                14,
                "shea butter and jojoba oil with a sheer wash of colour",
                "long-lasting moisture with SPF 15",
                "an everyday natural makeup look",
                "natural-makeup",
            ),
            (
                "Lengthening Mascara",
                24,
                "a buildable formula with a tapered fibre brush",
                "smudge-proof wear that lasts all day without flaking",
                "defined lashes from the office to evening plans",
                "natural-makeup",
            ),
            (
                "Cream Blush Stick",
                26,
                "a creamy blend of pigments and nourishing oils",
                "a dewy finish you can blend with your fingertips",
                "a fresh, five-minute makeup routine",
                "natural-makeup",
            ),
            (
                "Cordless Beard Trimmer",
                69,
                "self-sharpening stainless steel blades in a waterproof body",
                "20 length settings and a precision detail head",
                "keeping stubble and beards neat at home",
                "mens-grooming",
            ),
            (
                "Double-Edge Safety Razor",
                39,
                "a chrome-plated brass handle with a butterfly head",
                "a close, plastic-free shave with inexpensive replacement blades",
                "sustainable wet shaving without razor bumps",
                "mens-grooming",
            ),
            (
                "Nourishing Beard Oil",
                21,
                "cold-pressed argan and jojoba oils with cedarwood",
                "a fast-absorbing blend that softens coarse hair and soothes itch",
                "daily beard care with a subtle woody scent",
                "mens-grooming",
            ),
        ),
        topics=(
            _Topic(
                "skin-care",
                "building a daily skin care routine",
                ("skin care", "cleanser", "serum", "moisturiser"),
                "Build a gentle morning and evening skin care routine that actually works.",
                (
                    "Cleanse, treat, moisturise and protect: four steps cover most skin care needs.",
                    "Apply vitamin C in the morning under sunscreen for antioxidant protection.",
                    "Introduce one new product at a time so you can tell what your skin reacts to.",
                    "Hyaluronic acid works best on slightly damp skin, sealed in with a moisturiser.",
                ),
            ),
            _Topic(
                "sun-protection",
                "protecting your skin from the sun",
                ("sunscreen", "SPF", "sun care", "UV protection"),
                "Protect your skin from UV damage every day, not just at the beach.",
                (
                    "Wear broad-spectrum SPF 30 or higher every day, even when it is cloudy.",
                    "Reapply sunscreen every two hours outdoors and after swimming or sweating.",
                    "Mineral sunscreens with zinc oxide are gentle on sensitive skin.",
                    "Soothe sunburn with aloe gel and plenty of water, and stay in the shade while it heals.",
                ),
            ),
            _Topic(
                "hair-care",
                "caring for your hair",
                ("hair care", "shampoo", "curly hair", "styling"),
                "Keep hair strong, shiny and frizz-free with the right products and less heat damage.",
                (
                    "Sulphate-free shampoos clean gently and help colour last longer.",
                    "Use a heat protectant before blow-drying and keep the dryer moving.",
                    "Detangle wet hair from the ends upwards to avoid breakage.",
                    "Wash curly hair less often and refresh curls with a leave-in conditioner.",
                ),
            ),
            _Topic(
                "natural-makeup",
                "natural everyday makeup",
                ("makeup", "natural look", "mascara", "blush"),
                "Create a fresh, five-minute makeup look with a few multi-purpose products.",
                (
                    "Start with a tinted SPF instead of foundation for a lighter, skin-like finish.",
                    "Cream blush blends easily with fingertips and gives a natural glow.",
                    "Wiggle the mascara wand at the lash roots for lift and length.",
                    "A tinted lip balm adds colour and keeps lips moisturised all day.",
                ),
            ),
            _Topic(
                "mens-grooming",
                "men's grooming",
                ("grooming", "beard care", "shaving", "men's skin care"),
                "Shaving, beard care and simple skin care habits for a sharper everyday look.",
                (
                    "Trim your beard when it is dry, because wet hair looks longer than it is.",
                    "A safety razor with a sharp blade and light pressure reduces razor bumps.",
                    "Beard oil softens coarse hair and soothes the skin underneath.",
                    "Moisturise after shaving to calm irritation.",
                ),
            ),
        ),
    ),
    _Category(
        name="Books",
        code="BOO",
        brands=("Paperback", "Hardcover", "Audiobook"),
        gear_label="Recommended reading",
        closers=(
            "A staff pick in our bookshop this season.",
            "Includes a reading-group guide at the back.",
            "One of our customers' most-gifted titles.",
        ),
        products=(
            (
                "The Calm Investor",
                22,
                "index funds, diversification and staying invested when markets fall",
                "clear, jargon-free guide",
                "first-time investors building long-term wealth",
                "personal-finance",
            ),
            (
                "Budgeting for Real Life",
                18,
                "building a monthly budget, paying down debt and saving an emergency fund",
                "practical workbook",
                "households who want to take control of their money",
                "personal-finance",
            ),
            (
                "Retire on Your Terms",
                26,
                "pensions, savings rates and planning for financial independence",
                "thoughtful handbook",
                "anyone planning an early or flexible retirement",
                "personal-finance",
            ),
            (
                "Small Habits, Big Change",
                20,
                "how tiny daily routines compound into lasting behaviour change",
                "research-backed bestseller",
                "readers who want to build better habits and break bad ones",
                "habits-productivity",
            ),
            (
                "Deep Focus",
                19,
                "protecting your attention, time-blocking and doing meaningful work without distraction",
                "sharp, practical book",
                "knowledge workers and remote teams",
                "habits-productivity",
            ),
            (
                "The Morning Reset",
                17,
                "morning routines, sleep, journaling and planning the day ahead",
                "warm, encouraging guide",
                "people who want calmer, more productive mornings",
                "habits-productivity",
            ),
            (
                "The Last Orbit",
                16,
                "a stranded crew aboard a failing space station racing to get home to Earth",
                "gripping science fiction novel",
                "fans of hard science fiction and survival stories",
                "science-fiction",
            ),
            (
                "Signals from Kepler",
                15,
                "humanity's first contact with a distant alien civilisation",
                "thought-provoking first-contact novel",
                "readers who love big ideas and slow-burning mysteries",
                "science-fiction",
            ),
            (
                "The Glass Archive",
                17,
                "a future city where memories are stored, traded and stolen",
                "inventive cyberpunk thriller",
                "readers who enjoy dystopian worlds and twisty plots",
                "science-fiction",
            ),
            (
                "Salt, Smoke and Cast Iron",
                32,
                "searing, roasting and open-fire recipes for a cast iron skillet",
                "richly photographed cookbook",
                "home cooks who love hearty weeknight dinners",
                "cookbooks",
            ),
            (
                "The Sourdough Year",
                29,
                "keeping a starter, shaping loaves and baking bread through the seasons",
                "step-by-step baking book",
                "beginner and intermediate home bakers",
                "cookbooks",
            ),
            (
                "Thirty-Minute Vegetarian",
                25,
                "quick vegetable-forward meals, grain bowls and batch cooking",
                "colourful cookbook",
                "busy families who want to eat more plants",
                "cookbooks",
            ),
            (
                "Running the Long Way",
                18,
                "one runner's journey from the couch to marathons, ultramarathons and mountain trails",
                "inspiring running memoir",
                "runners training for their first marathon or trail race",
                "adventure-writing",
            ),
            (
                "Into the High Passes",
                21,
                "a month-long trek across remote mountain ranges with only a tent and a stove",
                "vivid travel narrative",
                "hikers, campers and armchair adventurers",
                "adventure-writing",
            ),
            (
                "The Backcountry Handbook",
                24,
                "navigation, route planning, wild camping and staying safe in the hills",
                "field-tested outdoor handbook",
                "new hikers and backpackers heading into the mountains",
                "adventure-writing",
            ),
        ),
        topics=(
            _Topic(
                "personal-finance",
                "investing and managing money",
                ("personal finance", "investing", "budgeting", "money"),
                "Books and ideas for budgeting, investing and planning a secure financial future.",
                (
                    "Build an emergency fund of three to six months of expenses before investing.",
                    "Low-cost index funds beat most actively managed funds over the long term.",
                    "Automate your savings on payday so you never miss the money.",
                    "Review your budget every month and adjust it as life changes.",
                ),
            ),
            _Topic(
                "habits-productivity",
                "building better habits",
                ("habits", "productivity", "self-improvement", "focus"),
                "Make lasting changes with small habits, better focus and calmer mornings.",
                (
                    "Make a new habit so small that it is easy to start, then build on it.",
                    "Attach new habits to existing routines, such as journaling right after your morning coffee.",
                    "Block distraction-free time in your calendar for your most important work.",
                    "Track your habits visually; a streak is a surprisingly strong motivator.",
                ),
            ),
            _Topic(
                "science-fiction",
                "reading science fiction",
                ("science fiction", "novels", "space", "fiction"),
                "The best new science fiction novels, from first contact to dystopian cities.",
                (
                    "Hard science fiction rewards readers who enjoy real physics and engineering.",
                    "First-contact novels are a great entry point for readers new to the genre.",
                    "Audiobooks bring big space operas to life on long commutes.",
                    "A book club helps you unpack the big questions science fiction asks about technology and society.",
                ),
            ),
            _Topic(
                "cookbooks",
                "cooking through a new cookbook",
                ("cookbooks", "recipes", "baking", "vegetarian cooking"),
                "The cookbooks our customers love for weeknight dinners, bread baking and plant-based meals.",
                (
                    "Read the whole recipe before you start, and prepare your ingredients in advance.",
                    "A sourdough book with step-by-step photos makes shaping loaves much easier.",
                    "Cook the same recipe three times to learn it by heart and make it your own.",
                    "Vegetarian cookbooks are an easy way to eat more plants without missing out on flavour.",
                ),
            ),
            _Topic(
                "adventure-writing",
                "reading adventure and running memoirs",
                ("memoir", "adventure", "running", "travel writing"),
                "True stories of ultramarathons, mountain treks and wild journeys to inspire your next adventure.",
                (
                    "A running memoir is a great source of motivation in the middle of a marathon training block.",
                    "Travel narratives help you plan routes and imagine trips before you book them.",
                    "Keep a backcountry handbook in your pack for navigation and safety basics.",
                    "Reading about other people's adventures is the perfect antidote to a long winter.",
                ),
            ),
        ),
    ),
    _Category(
        name="Outdoors",
        code="OUT",
        brands=("Ridgeline", "Summit Peak", "Northwind", "Alder & Ash", "Basecamp"),
        gear_label="Gear that helps",
        closers=(
            "Covered by our lifetime repair programme.",
            "Field-tested by our guides in wind, rain and snow.",
            "Made with responsibly sourced and recycled materials.",
        ),
        products=(
            (
                "Trail Running Shoes",
                139,
                "a breathable mesh upper with an aggressive lugged outsole",
                "a protective rock plate and secure heel lockdown",
                "technical trail running on rocky, muddy singletrack",
                "trail-running",
            ),
            (
                "Running Hydration Vest",
                99,
                "a stretchy, quick-drying mesh harness with two soft flasks",
                "bounce-free storage for water, energy gels and a lightweight jacket",
                "long trail runs, ultramarathons and fast hikes",
                "trail-running",
            ),
            (
                "Rechargeable Headlamp",
                49,
                "a lightweight shell on a comfortable elastic band",
                "400 lumens, a red night mode and USB-C charging",
                "pre-dawn trail runs, night hikes and camp chores",
                "trail-running",
            ),
            (
                "Two-Person Backpacking Tent",
                349,
                "ripstop nylon with aluminium poles",
                "a freestanding design that pitches in minutes and weighs under 2 kg",
                "backpacking trips and weekend camping in three seasons",
                "camping",
            ),
            (
                "Down Sleeping Bag",
                299,
                "responsibly sourced 650-fill down in a water-resistant shell",
                "a comfort rating of -5 °C and a compact stuff sack",
                "cold nights at camp and lightweight backpacking",
                "camping",
            ),
            (
                "Compact Camping Stove",
                69,
                "a stainless steel burner with folding pot supports",
                "a fast boil time and a precise flame control valve",
                "cooking hot meals and brewing coffee at camp",
                "camping",
            ),
            (
                "Waterproof Hiking Boots",
                189,
                "full-grain leather with a breathable waterproof membrane",
                "a grippy Vibram outsole and a supportive ankle collar",
                "long day hikes and multi-day treks on rough terrain",
                "hiking",
            ),
            (
                "40L Hiking Backpack",
                159,
                "recycled ripstop nylon with an adjustable back panel",
                "a ventilated frame, hip-belt pockets and an integrated rain cover",
                "hut-to-hut hiking and overnight trips",
                "hiking",
            ),
            (
                "Carbon Trekking Poles",
                119,
                "carbon fibre shafts with cork grips",
                "quick-lock adjustment and tungsten carbide tips",
                "steep descents, river crossings and saving your knees",
                "hiking",
            ),
            (
                "Climbing Harness",
                79,
                "lightweight webbing with padded leg loops",
                "four gear loops and speed-adjust buckles",
                "indoor climbing gyms and sport climbing outdoors",
                "climbing",
            ),
            (
                "Bouldering Shoes",
                129,
                "a synthetic upper with a sticky rubber rand",
                "a downturned last for precise footwork on small holds",
                "bouldering sessions and steep overhanging routes",
                "climbing",
            ),
            (
                "Chalk Bag with Belt",
                25,
                "durable cordura with a fleece lining",
                "a drawstring closure and a brush holder",
                "keeping hands dry through long climbing sessions",
                "climbing",
            ),
            (
                "Inflatable Paddle Board",
                499,
                "military-grade drop-stitch PVC",
                "a stable wide deck, a three-piece paddle and a travel backpack",
                "stand-up paddling on lakes, rivers and calm sea bays",
                "paddling",
            ),
            (
                "Roll-Top Dry Bag",
                29,
                "welded TPU-coated fabric",
                "a waterproof roll-top closure and a shoulder strap",
                "keeping phones and spare layers dry on kayak and paddle trips",
                "paddling",
            ),
            (
                "Paddling Life Vest",
                99,
                "buoyant foam panels under a tough nylon shell",
                "a low-profile cut that leaves your arms free to paddle",
                "kayaking, canoeing and paddle boarding safely",
                "paddling",
            ),
        ),
        topics=(
            _Topic(
                "trail-running",
                "trail running",
                ("trail running", "running", "trails", "ultramarathon"),
                "Everything you need to go from road runner to confident trail runner.",
                (
                    "Shorten your stride and keep your eyes a few metres ahead on technical terrain.",
                    "Walk the steep climbs; even elite trail runners power-hike uphill.",
                    "A hydration vest carries water, gels and a jacket without bouncing.",
                    "Choose trail shoes with deep lugs for mud and a rock plate for stony paths.",
                ),
            ),
            _Topic(
                "camping",
                "camping and backpacking",
                ("camping", "backpacking", "tents", "outdoor cooking"),
                "Plan comfortable nights outdoors, from choosing a tent to cooking at camp.",
                (
                    "Practise pitching your tent at home before the first trip.",
                    "Choose a sleeping bag rated a few degrees below the coldest temperature you expect.",
                    "Pitch on flat, high ground away from water to avoid condensation and flooding.",
                    "Pack a compact stove and a simple one-pot meal plan to save weight.",
                ),
            ),
            _Topic(
                "hiking",
                "hiking and hillwalking",
                ("hiking", "trekking", "boots", "mountains"),
                "From day hikes to multi-day treks, prepare your feet, pack and route for the hills.",
                (
                    "Break in new hiking boots on short walks before a long trek.",
                    "Trekking poles take pressure off your knees on steep descents.",
                    "Pack layers: mountain weather can change within an hour.",
                    "Tell someone your route and expected return time before you set off.",
                ),
            ),
            _Topic(
                "climbing",
                "rock climbing and bouldering",
                ("climbing", "bouldering", "climbing gym", "sport climbing"),
                "Get started at the climbing gym and move safely onto real rock.",
                (
                    "Start at an indoor climbing gym to learn belaying and basic technique with instructors.",
                    "Climbing shoes should fit snugly, but not so tight that they hurt after a few minutes.",
                    "Focus on precise footwork; your legs are much stronger than your arms.",
                    "Always check your harness buckles and your partner's knot before every climb.",
                ),
            ),
            _Topic(
                "paddling",
                "kayaking and paddle boarding",
                ("paddle boarding", "kayaking", "water sports", "lakes"),
                "Enjoy lakes, rivers and calm coastlines safely on a paddle board or kayak.",
                (
                    "Always wear a buoyancy aid, even on calm water.",
                    "Start on flat water on a day with little wind before trying rivers or the sea.",
                    "Keep your phone and a warm layer in a dry bag clipped to the board.",
                    "Paddle with your core rather than your arms to go further with less effort.",
                ),
            ),
        ),
    ),
    _Category(
        name="Fashion",
        code="FAS",
        brands=("Atelier North", "Common Thread", "Marlow", "Indigo & Oak", "Haven Studio"),
        gear_label="Pieces we love",
        closers=(
            "Made in small batches in ethically audited factories.",
            "Free alterations on hems and sleeves.",
            "Designed to be worn for years, not a single season.",
        ),
        products=(
            (
                "Organic Cotton T-Shirt",
                29,
                "heavyweight organic cotton jersey",
                "a relaxed fit with a ribbed crew neck that keeps its shape",
                "layering and building a minimalist capsule wardrobe",
                "capsule-wardrobe",
            ),
            (
                "Merino Crew Sweater",
                99,
                "fine-gauge extra-fine merino wool",
                "a soft, breathable knit that resists odour and pilling",
                "smart-casual days and light layering through autumn",
                "capsule-wardrobe",
            ),
            (
                "Slim Stretch Chinos",
                79,
                "cotton twill with a touch of elastane",
                "a tapered leg that moves comfortably all day",
                "versatile outfits that work from weekend to office",
                "capsule-wardrobe",
            ),
            (
                "Tailored Wool Blazer",
                249,
                "Italian wool with a half-canvas construction",
                "a natural shoulder and a modern, slim silhouette",
                "business meetings, interviews and smart occasions",
                "office-style",
            ),
            (
                "Non-Iron Oxford Shirt",
                69,
                "long-staple cotton oxford cloth",
                "a crease-resistant finish and a button-down collar",
                "office days and business travel without an iron",
                "office-style",
            ),
            (
                "Leather Derby Shoes",
                179,
                "full-grain calfskin on a Goodyear-welted sole",
                "a resoleable build and a cushioned leather insole",
                "workwear, suits and smart-casual outfits",
                "office-style",
            ),
            (
                "Insulated Parka",
                299,
                "a recycled polyester shell with synthetic down insulation",
                "a water-repellent finish and a faux-fur trimmed hood",
                "cold city winters and freezing commutes",
                "winter-layering",
            ),
            (
                "Cashmere Scarf",
                119,
                "pure Mongolian cashmere",
                "an ultra-soft, lightweight weave that traps warmth",
                "layering over winter coats and thoughtful gifts",
                "winter-layering",
            ),
            (
                "Waterproof Chelsea Boots",
                149,
                "waxed suede with a waterproof lining",
                "elastic side panels and a lug sole for wet pavements",
                "rainy commutes and winter weekends",
                "winter-layering",
            ),
            (
                "Selvedge Denim Jeans",
                149,
                "14-ounce Japanese selvedge denim",
                "a straight leg that fades beautifully with wear",
                "everyday casual outfits and denim enthusiasts",
                "denim-casual",
            ),
            (
                "Denim Trucker Jacket",
                119,
                "rigid cotton denim with copper shank buttons",
                "a classic boxy cut with two chest pockets",
                "spring and autumn layering over tees and hoodies",
                "denim-casual",
            ),
            (
                "White Leather Sneakers",
                129,
                "smooth Italian leather on a stitched rubber cupsole",
                "a minimal design and a cushioned footbed",
                "casual weekends and pairing with jeans or chinos",
                "denim-casual",
            ),
            (
                "Minimalist Leather Wallet",
                49,
                "vegetable-tanned leather",
                "a slim bifold with RFID-blocking card slots",
                "carrying cards and cash without the bulk",
                "accessories",
            ),
            (
                "Automatic Field Watch",
                249,
                "a brushed stainless steel case with a sapphire crystal",
                "a self-winding movement and 100 m water resistance",
                "everyday wear, travel and outdoor adventures",
                "accessories",
            ),
            (
                "Canvas Weekender Bag",
                139,
                "waxed cotton canvas with leather handles",
                "a padded laptop sleeve and a separate shoe compartment",
                "weekend getaways and carry-on travel",
                "accessories",
            ),
        ),
        topics=(
            _Topic(
                "capsule-wardrobe",
                "building a capsule wardrobe",
                ("capsule wardrobe", "minimalism", "wardrobe essentials", "style"),
                "Build a small wardrobe of versatile essentials that all work together.",
                (
                    "Pick a neutral base palette so almost everything can be mixed and matched.",
                    "Invest in quality basics such as tees, knitwear and chinos that you wear every week.",
                    "Merino wool breathes, resists odour and layers well through three seasons.",
                    "Before buying something new, think of three outfits you could wear it with.",
                ),
            ),
            _Topic(
                "office-style",
                "dressing for the office",
                ("workwear", "office style", "tailoring", "business casual"),
                "Look sharp at work with tailoring and business-casual pieces that last.",
                (
                    "A well-fitted blazer upgrades everything from jeans to suit trousers.",
                    "Have trousers and jackets tailored; small adjustments make affordable pieces look expensive.",
                    "Goodyear-welted shoes can be resoled and last for many years.",
                    "Non-iron shirts save time on busy mornings and business trips.",
                ),
            ),
            _Topic(
                "winter-layering",
                "dressing for winter",
                ("winter", "layering", "outerwear", "cold weather"),
                "Stay warm and dry through cold city winters with smart layering.",
                (
                    "Layer a thin base layer, an insulating mid layer and a weatherproof coat.",
                    "Synthetic insulation stays warm even when it gets damp.",
                    "A cashmere scarf adds a lot of warmth for very little weight.",
                    "Treat suede boots with a waterproofing spray before the first rainy day.",
                ),
            ),
            _Topic(
                "denim-casual",
                "wearing and caring for denim",
                ("denim", "jeans", "sneakers", "casual style"),
                "Choose, wear and care for denim and casual staples that get better with age.",
                (
                    "Wash raw selvedge denim rarely and inside out to keep the indigo fades sharp.",
                    "A denim jacket layers over almost everything from spring to autumn.",
                    "Clean white leather sneakers regularly with a soft brush and mild soap.",
                    "Pick a straight or tapered leg that works with both sneakers and boots.",
                ),
            ),
            _Topic(
                "accessories",
                "choosing everyday accessories",
                ("accessories", "watches", "leather goods", "travel bags"),
                "Wallets, watches and bags that are built to last and finish any outfit.",
                (
                    "Vegetable-tanned leather develops a rich patina as it ages.",
                    "An automatic watch keeps running as long as you wear it regularly.",
                    "A slim wallet keeps your pockets flat and your trousers looking sharp.",
                    "A good weekender fits in the overhead locker and saves checked-bag fees.",
                ),
            ),
        ),
    ),
    _Category(
        name="Pet Supplies",
        code="PET",
        brands=("Happy Tails", "Pawfect", "Whisker & Co", "Barkley", "FurBest"),
        gear_label="Helpful supplies",
        closers=(
            "Vet-approved and tested with real pets.",
            "Satisfaction guaranteed, or your money back within 60 days.",
            "Chosen by our team of pet owners.",
        ),
        products=(
            (
                "Puppy Training Treats",
                12,
                "soft, single-ingredient chicken bites",
                "small low-calorie pieces that are easy to reward quickly",
                "positive reinforcement training and house-training puppies",
                "puppy-training",
            ),
            (
                "Training Clicker Set",
                9,
                "ergonomic clickers on wrist coils",
                "a consistent click sound and a step-by-step training guide",
                "teaching sit, stay and recall with marker training",
                "puppy-training",
            ),
            (
                "Folding Dog Crate",
                89,
                "powder-coated steel wire with a removable tray",
                "a divider panel that grows with your puppy",
                "crate training, safe sleeping and travel",
                "puppy-training",
            ),
            (
                "No-Pull Dog Harness",
                39,
                "padded breathable mesh with reflective trim",
                "a front clip that gently discourages pulling",
                "daily walks with strong or excitable dogs",
                "dog-walking",
            ),
            (
                "Reflective Dog Leash",
                24,
                "braided climbing rope with a padded handle",
                "reflective stitching and a locking carabiner",
                "early-morning and evening dog walks",
                "dog-walking",
            ),
            (
                "Collapsible Travel Water Bowl",
                12,
                "food-grade silicone with a carabiner clip",
                "a foldable design that packs flat in a pocket",
                "hikes, park trips and long walks with your dog",
                "dog-walking",
            ),
            (
                "Cat Scratching Tower",
                89,
                "sisal rope posts and plush carpeted platforms",
                "a cosy hideaway, several perches and a dangling toy",
                "indoor cats who need to climb, scratch and play",
                "cat-enrichment",
            ),
            (
                "Interactive Feather Wand",
                12,
                "a flexible wand with natural feather attachments",
                "replaceable lures that mimic birds and insects",
                "daily play sessions that keep indoor cats active",
                "cat-enrichment",
            ),
            (
                "Self-Cleaning Litter Box",
                399,
                "a sealed, odour-trapping enclosure",
                "automatic raking after every visit and app alerts",
                "busy multi-cat households and cleaner homes",
                "cat-enrichment",
            ),
            (
                "Grain-Free Dog Food",
                59,
                "a recipe with real salmon and sweet potato",
                "added omega fatty acids for a healthy skin and coat",
                "adult dogs with sensitive stomachs",
                "pet-nutrition",
            ),
            (
                "Wet Cat Food Variety Pack",
                29,
                "shredded chicken, tuna and turkey in gravy",
                "high moisture content that supports hydration",
                "picky eaters and cats that need more water",
                "pet-nutrition",
            ),
            (
                "Slow-Feeder Bowl",
                19,
                "a non-slip, food-safe melamine maze",
                "ridges that slow fast eaters down by up to ten times",
                "preventing gulping, bloating and mealtime boredom",
                "pet-nutrition",
            ),
            (
                "Deshedding Brush",
                29,
                "a stainless steel edge with an ergonomic handle",
                "a one-click release that removes loose undercoat",
                "reducing shedding in long- and short-haired pets",
                "pet-grooming",
            ),
            (
                "Pet Nail Grinder",
                35,
                "a quiet, low-vibration motor with a diamond drum",
                "two speeds and an LED light for safe trimming",
                "anxious pets and stress-free nail care at home",
                "pet-grooming",
            ),
            (
                "Oatmeal Pet Shampoo",
                16,
                "colloidal oatmeal and aloe vera",
                "a soap-free formula that soothes dry, itchy skin",
                "bath time for dogs and cats with sensitive skin",
                "pet-grooming",
            ),
        ),
        topics=(
            _Topic(
                "puppy-training",
                "training a new puppy",
                ("puppy", "dog training", "house training", "positive reinforcement"),
                "Positive, reward-based training for a happy, well-behaved puppy.",
                (
                    "Keep training sessions short, five minutes a few times a day, and always end on a success.",
                    "Reward the behaviour you want within a second or two so your puppy makes the connection.",
                    "A crate becomes a safe den when introduced gradually with treats and toys.",
                    "Clicker training marks the exact moment your dog gets it right.",
                ),
            ),
            _Topic(
                "dog-walking",
                "walking and hiking with your dog",
                ("dog walking", "dogs", "harness", "hiking with dogs"),
                "Make every walk and hike with your dog safer, calmer and more fun.",
                (
                    "A front-clip harness reduces pulling without putting pressure on the throat.",
                    "Use reflective gear for walks at dawn and dusk.",
                    "Carry water and a collapsible bowl on hikes; dogs overheat faster than people.",
                    "Let your dog sniff: scent work tires dogs out as much as running.",
                ),
            ),
            _Topic(
                "cat-enrichment",
                "keeping indoor cats happy",
                ("cats", "indoor cats", "play", "enrichment"),
                "Play, climbing and enrichment ideas for healthy, happy indoor cats.",
                (
                    "Two short play sessions a day help prevent boredom and weight gain in indoor cats.",
                    "Cats love height: a scratching tower gives them a safe lookout.",
                    "Wand toys that mimic birds trigger natural hunting behaviour.",
                    "Keep the litter box clean; many cats refuse to use a dirty one.",
                ),
            ),
            _Topic(
                "pet-nutrition",
                "feeding your pet well",
                ("pet food", "pet nutrition", "dog food", "cat food"),
                "Choose the right food and feeding routine for your dog or cat.",
                (
                    "Switch foods gradually over a week to avoid upsetting your pet's stomach.",
                    "Wet food helps cats that drink little water stay hydrated.",
                    "Slow-feeder bowls stop fast eaters from gulping their food.",
                    "Measure portions instead of free-feeding to keep pets at a healthy weight.",
                ),
            ),
            _Topic(
                "pet-grooming",
                "grooming your pet at home",
                ("grooming", "shedding", "pet care", "nail trimming"),
                "Brushing, bathing and nail care tips that make grooming stress-free.",
                (
                    "Brush double-coated breeds weekly, and daily during shedding season.",
                    "Grind nails a little at a time and reward your pet after each paw.",
                    "Use a gentle oatmeal shampoo for pets with dry or itchy skin.",
                    "Start handling paws and ears early so grooming becomes routine.",
                ),
            ),
        ),
    ),
)
CATEGORY_NAMES: tuple[str, ...] = tuple(category.name for category in CATEGORIES)
PRODUCTS_PER_CATEGORY = 15
CONTENT_PER_TOPIC = 5
BOOK_FORMAT_PRICE = {"Paperback": 1.0, "Hardcover": 1.6, "Audiobook": 1.25}

PRODUCT_TEMPLATES = (
    "The {name} {is} made with {material} and {offer} {feature}. Designed for {use}.",
    "Made with {material}, {this} {type} {offer} {feature}. A great choice for {use}.",
    "{A_type} with {feature}, made with {material}. Ideal for {use}.",
)
# Proper nouns that stay capitalised when a product name is used inside a sentence.
KEEP_CAPITALISED = {"Dutch", "Bluetooth", "Chelsea"}
BOOK_TEMPLATES = (
    "{title} is {kind_a} about {subject}. Written for {audience}.",
    "{Kind_a} about {subject}, written for {audience}.",
    "In this {kind}, {title} explores {subject}. A must-read for {audience}.",
)

CONTENT_TITLES = {
    ContentItem.Kind.ARTICLE: (
        "A beginner's guide to {subject}",
        "Everything you need to know about {subject}",
        "{Subject}: common mistakes and how to fix them",
        "{Subject} on a budget",
        "{n} expert tips for {subject}",
        "What nobody tells you about {subject}",
        "{Subject}: the complete checklist",
    ),
    ContentItem.Kind.VIDEO: (
        "Video: {subject} in ten minutes",
        "Watch: a step-by-step guide to {subject}",
        "Video masterclass: {subject}",
        "Video Q&A: your questions about {subject}, answered",
    ),
    ContentItem.Kind.PODCAST: (
        "Podcast: the expert view on {subject}",
        "Podcast: customer stories about {subject}",
        "Podcast: myths and truths about {subject}",
        "Podcast: a coach's guide to {subject}",
    ),
}
CONTENT_KIND_LINES = {
    ContentItem.Kind.ARTICLE: (
        "A practical read with step-by-step advice.",
        "Includes a checklist you can save for later.",
        "A ten-minute read from our in-house experts.",
    ),
    ContentItem.Kind.VIDEO: (
        "Follow along as our team demonstrates each step.",
        "A short video with on-screen tips and product demos.",
        "Filmed with coaches who do this every day.",
    ),
    ContentItem.Kind.PODCAST: (
        "An episode packed with stories from experienced customers and coaches.",
        "Listen on your commute for practical, expert advice.",
        "A relaxed conversation with specialists and long-time enthusiasts.",
    ),
}
CONTENT_OPENERS = {
    ContentItem.Kind.ARTICLE: "This guide covers {subject}, step by step.",
    ContentItem.Kind.VIDEO: "In this video we walk through {subject}.",
    ContentItem.Kind.PODCAST: "In this episode our hosts talk about {subject}.",
}

# --- Customer vocabulary -----------------------------------------------------------------

SEGMENTS = (
    ("Consumer", "Individual shoppers buying for themselves and their households."),
    ("Small Business", "Owner-run companies with up to 50 employees buying for their teams."),
    ("Enterprise", "Large organisations on negotiated contracts with several buyers."),
    ("Education", "Schools, universities and students on discounted academic plans."),
)
SEGMENT_NAMES = tuple(name for name, _ in SEGMENTS)
SEGMENT_SHARE = np.array([0.50, 0.22, 0.10, 0.18])
SEGMENT_SPEND = np.array([1.0, 2.5, 6.0, 0.8])
# Interest weights per segment over CATEGORIES (Electronics ... Pet Supplies).
SEGMENT_INTERESTS = np.array(
    [
        [1.0, 1.2, 1.3, 1.3, 0.8, 1.2, 1.4, 1.1],
        [1.6, 1.4, 0.7, 0.6, 1.2, 0.7, 0.8, 0.6],
        [2.0, 1.0, 0.6, 0.4, 1.4, 0.5, 0.7, 0.3],
        [1.6, 0.8, 0.9, 0.7, 2.2, 1.0, 0.8, 0.5],
    ]
)
COUNTRIES = (
    ("United States", ("California", "Texas", "New York", "Illinois", "Washington"), 0.30),
    ("United Kingdom", ("England", "Scotland", "Wales", "Northern Ireland"), 0.14),
    ("Canada", ("Ontario", "British Columbia", "Quebec", "Alberta"), 0.08),
    ("Germany", ("Bavaria", "Berlin", "Hamburg", "North Rhine-Westphalia"), 0.09),
    ("France", ("Île-de-France", "Auvergne-Rhône-Alpes", "Occitanie"), 0.07),
    ("Netherlands", ("North Holland", "South Holland", "Utrecht"), 0.05),
    ("Spain", ("Madrid", "Catalonia", "Andalusia"), 0.05),
    ("Australia", ("New South Wales", "Victoria", "Queensland"), 0.07),
    ("India", ("Maharashtra", "Karnataka", "Delhi"), 0.07),
    ("Brazil", ("São Paulo", "Rio de Janeiro", "Minas Gerais"), 0.05),
    ("Japan", ("Tokyo", "Osaka", "Kanagawa"), 0.03),
)
PLANS = ("Basic", "Plus", "Premium")
PLAN_PRICE = np.array([19.0, 49.0, 99.0])
SEGMENT_PLANS = np.array(
    [[0.55, 0.30, 0.15], [0.30, 0.45, 0.25], [0.10, 0.35, 0.55], [0.50, 0.40, 0.10]]
)
CONTRACTS = ("Month-to-month", "One year", "Two year")
SEGMENT_CONTRACTS = np.array(
    [[0.60, 0.25, 0.15], [0.50, 0.30, 0.20], [0.20, 0.40, 0.40], [0.40, 0.40, 0.20]]
)
PAYMENT_METHODS = ("Credit card", "Direct debit", "PayPal", "Bank transfer", "Invoice")
SEGMENT_PAYMENTS = np.array(
    [
        [0.45, 0.25, 0.30, 0.00, 0.00],
        [0.30, 0.20, 0.05, 0.20, 0.25],
        [0.10, 0.10, 0.00, 0.30, 0.50],
        [0.30, 0.20, 0.10, 0.20, 0.20],
    ]
)
SUPPORT_PLANS = ("None", "Standard", "Priority")
SEGMENT_SUPPORT = np.array(
    [[0.55, 0.35, 0.10], [0.30, 0.50, 0.20], [0.05, 0.45, 0.50], [0.40, 0.50, 0.10]]
)
SATISFACTION_SHARE = np.array([0.07, 0.13, 0.25, 0.33, 0.22])
UNKNOWN_LABEL_SHARE = 0.075
EMAIL_OPT_OUT_SHARE = 0.05

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
    "Mia", "Lucas", "Amelia", "Mateo", "Harper", "Ethan", "Aisha", "Arjun", "Priya", "Rohan",
    "Chen", "Mei", "Hiroshi", "Yuki", "Sofia", "Diego", "Camila", "Gabriel", "Lucia", "Hugo",
    "Chloe", "Louis", "Lena", "Felix", "Hannah", "Jonas", "Freya", "Oscar", "Isla", "Finn",
    "Zara", "Omar", "Leila", "Samuel", "Grace", "Daniel", "Ella", "Jack", "Ruby", "Thomas",
    "Nora", "Henry", "Maya", "Leo", "Alice", "Mohammed", "Fatima", "Kwame", "Amara", "Tariq",
    "Ines", "Pedro", "Julia", "Marco", "Elena", "Sven", "Astrid", "Ravi", "Ananya", "Kenji",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Martinez",
    "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Lee", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott",
    "Green", "Baker", "Patel", "Shah", "Gupta", "Singh", "Kumar", "Chen", "Wang", "Tanaka",
    "Sato", "Kim", "Park", "Nguyen", "Silva", "Santos", "Costa", "Rossi", "Bianchi", "Müller",
    "Schmidt", "Fischer", "Weber", "Dubois", "Laurent", "Moreau", "Jansen", "de Vries",
    "Johansson", "Larsen", "Novak", "Kowalski", "Okafor", "Mensah", "Haddad", "Rahman",
    "O'Connor", "Murphy", "Kelly", "Campbell", "Stewart", "Bennett",
)  # fmt: skip

# Event kinds drawn for ordinary activity: (Interaction kind, target, share). Support
# tickets are drawn separately because their rate is a churn driver.
PRODUCT, CONTENT, NO_ITEM = 0, 1, 2
EVENT_KINDS = (
    (Interaction.Kind.VIEW, PRODUCT, 0.33),
    (Interaction.Kind.CLICK, PRODUCT, 0.13),
    (Interaction.Kind.ADD_TO_CART, PRODUCT, 0.08),
    (Interaction.Kind.PURCHASE, PRODUCT, 0.07),
    (Interaction.Kind.RETURN, PRODUCT, 0.012),
    (Interaction.Kind.VIEW, CONTENT, 0.17),
    (Interaction.Kind.CLICK, CONTENT, 0.04),
    (Interaction.Kind.EMAIL_OPEN, NO_ITEM, 0.11),
    (Interaction.Kind.EMAIL_CLICK, CONTENT, 0.058),
)
SUPPORT_TICKET_CODE = len(EVENT_KINDS)
EVENT_KIND_NAMES = [str(kind) for kind, _, _ in EVENT_KINDS] + [Interaction.Kind.SUPPORT_TICKET]
EVENT_TARGETS = np.array([target for _, target, _ in EVENT_KINDS] + [NO_ITEM])
EVENT_SHARES = np.array([share for _, _, share in EVENT_KINDS])
EVENT_SHARES = EVENT_SHARES / EVENT_SHARES.sum()


def _event_codes(*kinds: str) -> np.ndarray:
    return np.array([code for code, (kind, _, _) in enumerate(EVENT_KINDS) if kind in kinds])


EMAIL_CODES = _event_codes(Interaction.Kind.EMAIL_OPEN, Interaction.Kind.EMAIL_CLICK)
# Events that carry a value: the product price times the quantity.
VALUE_CODES = _event_codes(
    Interaction.Kind.ADD_TO_CART, Interaction.Kind.PURCHASE, Interaction.Kind.RETURN
)
(PURCHASE_CODE,) = _event_codes(Interaction.Kind.PURCHASE)
(RETURN_CODE,) = _event_codes(Interaction.Kind.RETURN)
PRODUCT_VIEW_CODE = next(
    code
    for code, (kind, target, _) in enumerate(EVENT_KINDS)
    if kind == Interaction.Kind.VIEW and target == PRODUCT
)
# Share of product / content events drawn from the global best-sellers instead of the
# customer's own interests: the popularity baseline a recommender has to beat.
POPULAR_SHARE_PRODUCTS = 0.2
POPULAR_SHARE_CONTENT = 0.15


# --- Public results ----------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    segments: int
    customers: int
    products: int
    content_items: int
    interactions: int
    churned: int
    retained: int
    unknown: int
    seed: int
    as_of: dt.date
    seconds: float

    @property
    def churn_rate(self) -> float:
        labelled = self.churned + self.retained
        return self.churned / labelled if labelled else 0.0


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    description: str
    category: str
    price: Decimal


@dataclass(frozen=True)
class ContentSpec:
    slug: str
    title: str
    summary: str
    body: str
    kind: str
    tags: list[str]
    published_at: dt.datetime


@dataclass(frozen=True)
class Catalogue:
    products: list[ProductSpec]
    content: list[ContentSpec]
    product_prices: np.ndarray  # float, per product index
    # Per-category popularity: position -> product/content index within the category.
    product_rank: np.ndarray  # (categories, 15)
    content_rank: np.ndarray  # (categories, 25)
    global_product_weights: np.ndarray
    global_content_weights: np.ndarray


@dataclass
class CustomerChunk:
    """One chunk of generated customers and their events, as plain numpy arrays."""

    start: int  # global index of the first customer
    segment: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    country: np.ndarray
    region: np.ndarray
    plan: np.ndarray
    contract: np.ndarray
    payment: np.ndarray
    support_plan: np.ndarray
    devices: np.ndarray
    newsletter: np.ndarray
    satisfaction: np.ndarray
    opt_out: np.ndarray
    monthly_spend: np.ndarray
    tenure_months: np.ndarray
    signup_days_ago: np.ndarray
    label: np.ndarray  # 1 churned, 0 retained, -1 unknown
    churn_days_ago: np.ndarray  # 0 unless churned
    # Events, sorted by customer then time.
    event_customer: np.ndarray  # index within the chunk
    event_kind: np.ndarray  # code into EVENT_KIND_NAMES
    event_product: np.ndarray  # product index or -1
    event_content: np.ndarray  # content index or -1
    event_quantity: np.ndarray
    event_seconds_ago: np.ndarray  # seconds before the cut-off

    @property
    def size(self) -> int:
        return len(self.segment)


# --- Catalogue generation ----------------------------------------------------------------


def _a_or_an(phrase: str) -> str:
    if phrase[:2].isupper():  # an acronym is read letter by letter: "a USB-C dock"
        return f"an {phrase}" if phrase[0] in "AEFHILMNORSX" else f"a {phrase}"
    return f"an {phrase}" if phrase[0].lower() in "aeiou" else f"a {phrase}"


def _in_sentence(name: str) -> str:
    """'GPS Running Watch' -> 'GPS running watch': lower-case title-cased words only."""

    def word(part: str) -> str:
        if part in KEEP_CAPITALISED or len(part) < 2 or not part[1:].islower():
            return part
        return part.lower()

    return " ".join("-".join(word(p) for p in w.split("-")) for w in name.split(" "))


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _zipf_weights(size: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return weights / weights.sum()


def _product_description(
    category: _Category, entry: tuple, brand: str, template: int, closer: str
) -> str:
    name, _, material, feature, use, _ = entry
    if category.name == "Books":
        text = BOOK_TEMPLATES[template].format(
            title=name,
            subject=material,
            kind=feature,
            kind_a=_a_or_an(feature),
            Kind_a=_cap(_a_or_an(feature)),
            audience=use,
        )
        return f"{text} Available as {_a_or_an(brand.lower())}. {closer}"
    type_lower = _in_sentence(name)
    plural = name.endswith("s")
    text = PRODUCT_TEMPLATES[template].format(
        name=f"{brand} {name}",
        material=material,
        feature=feature,
        use=use,
        type=type_lower,
        A_type=_cap(type_lower if plural else _a_or_an(type_lower)),
        this="these" if plural else "this",
        offer="offer" if plural else "offers",
        **{"is": "are" if plural else "is"},
    )
    return f"{text} {closer}"


def catalogue_build(*, seed: int, as_of: dt.date) -> Catalogue:
    """The fixed-size product and content catalogue; wording and prices vary with the seed."""
    rng = np.random.default_rng([seed, 0])
    cutoff = _cutoff(as_of)
    products: list[ProductSpec] = []
    prices: list[float] = []
    content: list[ContentSpec] = []
    used_slugs: set[str] = set()
    for category in CATEGORIES:
        for number, entry in enumerate(category.products, start=1):
            brand = category.brands[rng.integers(len(category.brands))]
            base = entry[1] * (BOOK_FORMAT_PRICE.get(brand, 1.0))
            price = max(round(base * rng.uniform(0.9, 1.15)) - 0.01, 4.99)
            name = f"{entry[0]} ({brand})" if category.name == "Books" else f"{brand} {entry[0]}"
            description = _product_description(
                category,
                entry,
                brand,
                int(rng.integers(len(PRODUCT_TEMPLATES))),
                category.closers[rng.integers(len(category.closers))],
            )
            products.append(
                ProductSpec(
                    sku=f"{DEMO_ID_PREFIX}{category.code}-{number:03d}",
                    name=name,
                    description=description,
                    category=category.name,
                    price=Decimal(f"{price:.2f}"),
                )
            )
            prices.append(price)
        for topic in category.topics:
            topic_products = [entry[0] for entry in category.products if entry[5] == topic.key]
            gear = [p if category.name == "Books" else _in_sentence(p) for p in topic_products]
            kinds = [ContentItem.Kind.ARTICLE, ContentItem.Kind.VIDEO, ContentItem.Kind.PODCAST]
            extra_kinds = rng.choice(3, size=CONTENT_PER_TOPIC - 3, p=[0.6, 0.25, 0.15])
            kinds += [kinds[k] for k in extra_kinds]
            used_templates: set[tuple[str, int]] = set()
            for kind in kinds:
                templates = CONTENT_TITLES[kind]
                free = [i for i in range(len(templates)) if (kind, i) not in used_templates]
                template = free[rng.integers(len(free))]
                used_templates.add((kind, template))
                title = templates[template].format(
                    subject=topic.subject, Subject=_cap(topic.subject), n=rng.integers(5, 13)
                )
                slug = f"{DEMO_SLUG_PREFIX}{slugify(title)}"[:190]
                while slug in used_slugs:
                    slug = f"{slug}-{len(used_slugs)}"
                used_slugs.add(slug)
                tips = [topic.tips[k] for k in rng.permutation(4)[: rng.integers(2, 4)]]
                body = " ".join(
                    [
                        CONTENT_OPENERS[kind].format(subject=topic.subject),
                        *tips,
                        f"{category.gear_label}: {gear[0]}, {gear[1]} and {gear[2]}.",
                        f"Browse our {category.name} range for more ideas.",
                    ]
                )
                kind_lines = CONTENT_KIND_LINES[kind]
                published = cutoff - dt.timedelta(
                    days=int(rng.integers(3, 730)), hours=int(rng.integers(6, 20))
                )
                content.append(
                    ContentSpec(
                        slug=slug,
                        title=title,
                        summary=f"{topic.summary} {kind_lines[rng.integers(len(kind_lines))]}",
                        body=body,
                        kind=str(kind),
                        tags=[*topic.tags, category.name],
                        published_at=published,
                    )
                )
    n_cat = len(CATEGORIES)
    n_content = CONTENT_PER_TOPIC * len(CATEGORIES[0].topics)
    product_rank = np.stack([rng.permutation(PRODUCTS_PER_CATEGORY) for _ in range(n_cat)])
    content_rank = np.stack([rng.permutation(n_content) for _ in range(n_cat)])
    global_products = np.empty(len(products))
    global_products[rng.permutation(len(products))] = _zipf_weights(len(products), 0.9)
    global_content = np.empty(len(content))
    global_content[rng.permutation(len(content))] = _zipf_weights(len(content), 0.9)
    return Catalogue(
        products=products,
        content=content,
        product_prices=np.array(prices),
        product_rank=product_rank,
        content_rank=content_rank,
        global_product_weights=global_products,
        global_content_weights=global_content,
    )


# --- Customer and event generation -------------------------------------------------------


def _cutoff(as_of: dt.date) -> dt.datetime:
    return dt.datetime.combine(as_of, dt.time(0), tzinfo=dt.UTC)


def _choice_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probabilities`` (rows sum to one), vectorised."""
    cumulative = probabilities.cumsum(axis=1)
    draws = rng.random((probabilities.shape[0], 1))
    return np.minimum((draws > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _pick_items(
    rng: np.random.Generator,
    categories: np.ndarray,
    popular: np.ndarray,
    rank: np.ndarray,
    global_weights: np.ndarray,
    exponent: float,
) -> np.ndarray:
    per_category = rank.shape[1]
    position = rng.choice(
        per_category, size=len(categories), p=_zipf_weights(per_category, exponent)
    )
    items = categories * per_category + rank[categories, position]
    n_popular = int(popular.sum())
    if n_popular:
        items[popular] = rng.choice(len(global_weights), size=n_popular, p=global_weights)
    return items


def _churn_probability(
    *,
    month_to_month: np.ndarray,
    two_year: np.ndarray,
    tenure_months: np.ndarray,
    satisfaction: np.ndarray,
    ticket_rate: np.ndarray,
    activity: np.ndarray,
    price_pressure: np.ndarray,
    devices: np.ndarray,
    priority_support: np.ndarray,
    segment: np.ndarray,
) -> np.ndarray:
    logit = (
        -1.05
        + 1.2 * month_to_month
        - 0.6 * two_year
        - 0.035 * tenure_months
        - 0.55 * (satisfaction - 3)
        + 0.5 * (ticket_rate - 1.2)
        - 0.9 * np.log(activity)
        + 0.35 * price_pressure
        - 0.12 * (devices - 2)
        - 0.3 * priority_support
        + 0.25 * (segment == SEGMENT_NAMES.index("Education"))
        - 0.4 * (segment == SEGMENT_NAMES.index("Enterprise"))
    )
    return 1.0 / (1.0 + np.exp(-logit))


def _customer_chunk_generate(
    *, seed: int, chunk_no: int, start: int, size: int, catalogue: Catalogue
) -> CustomerChunk:
    rng = np.random.default_rng([seed, 1, chunk_no])
    n = size
    segment = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARE)
    country_p = np.array([share for _, _, share in COUNTRIES])
    country = rng.choice(len(COUNTRIES), size=n, p=country_p / country_p.sum())
    regions_per_country = np.array([len(regions) for _, regions, _ in COUNTRIES])
    region = (rng.random(n) * regions_per_country[country]).astype(int)
    plan = _choice_rows(rng, SEGMENT_PLANS[segment])
    contract = _choice_rows(rng, SEGMENT_CONTRACTS[segment])
    payment = _choice_rows(rng, SEGMENT_PAYMENTS[segment])
    support_plan = _choice_rows(rng, SEGMENT_SUPPORT[segment])
    devices = np.minimum(1 + rng.poisson(1.3, size=n), 8)
    satisfaction = 1 + rng.choice(5, size=n, p=SATISFACTION_SHARE)
    opt_out = rng.random(n) < EMAIL_OPT_OUT_SHARE
    newsletter = (rng.random(n) < 0.6) & ~opt_out
    spend_noise = rng.normal(0.0, 0.15, size=n)
    monthly_spend = np.round(
        PLAN_PRICE[plan]
        * SEGMENT_SPEND[segment]
        * np.exp(spend_noise)
        * (1 + 0.08 * (devices - 1)),
        2,
    )
    activity = rng.lognormal(-0.15, 0.55, size=n)
    ticket_rate = 0.3 + 0.55 * (5 - satisfaction) * rng.uniform(0.6, 1.4, size=n)  # per year
    tenure_months = np.minimum(1 + np.floor(rng.gamma(1.3, 18.0, size=n)), 72).astype(int)

    p_churn = _churn_probability(
        month_to_month=(contract == CONTRACTS.index("Month-to-month")).astype(float),
        two_year=(contract == CONTRACTS.index("Two year")).astype(float),
        tenure_months=tenure_months,
        satisfaction=satisfaction,
        ticket_rate=ticket_rate,
        activity=activity,
        price_pressure=spend_noise / 0.15,
        devices=devices,
        priority_support=(support_plan == SUPPORT_PLANS.index("Priority")).astype(float),
        segment=segment,
    )
    churned = rng.random(n) < p_churn
    # A fixed quota rather than a coin flip, so even the 45-customer demo has a few.
    unknown = np.zeros(n, dtype=bool)
    unknown[rng.permutation(n)[: round(n * UNKNOWN_LABEL_SHARE)]] = True
    label = np.where(unknown, -1, churned.astype(int))
    churn_days_ago = np.where(label == 1, rng.integers(1, 200, size=n), 0)
    # Unknown labels are recent sign-ups: too new for their outcome to be known.
    recent_days = rng.integers(10, 75, size=n)
    tenure_months = np.where(unknown, recent_days // 30, tenure_months)
    signup_days_ago = np.where(
        unknown, recent_days, churn_days_ago + np.round(tenure_months * 30.44).astype(int)
    )

    # Ordinary activity, thinned towards churned_at for customers who left.
    start_offset = np.minimum(signup_days_ago, HISTORY_DAYS).astype(float)
    window = np.maximum(start_offset - churn_days_ago, 1.0)
    counts = rng.poisson(activity * EVENTS_PER_DAY * window)
    owner = np.repeat(np.arange(n), counts)
    days_before_end = rng.random(len(owner)) * window[owner]
    fading = label[owner] == 1
    keep = ~fading | (rng.random(len(owner)) * FADE_DAYS < days_before_end)
    owner, days_before_end = owner[keep], days_before_end[keep]
    kind = rng.choice(len(EVENT_KINDS), size=len(owner), p=EVENT_SHARES)
    is_email = np.isin(kind, EMAIL_CODES)
    # Opted-out customers get no marketing email; non-subscribers see far less of it.
    no_email = opt_out[owner] | (~newsletter[owner] & (rng.random(len(owner)) < 0.7))
    kind = np.where(is_email & no_email, PRODUCT_VIEW_CODE, kind)

    # Support tickets: rate set by (dis)satisfaction, bunched before churned_at for leavers.
    tickets = rng.poisson(ticket_rate * window / 365.0)
    ticket_owner = np.repeat(np.arange(n), tickets)
    position = np.where(
        label[ticket_owner] == 1,
        rng.beta(1.0, 3.0, size=len(ticket_owner)),
        rng.random(len(ticket_owner)),
    )
    ticket_days = position * window[ticket_owner]

    owner = np.concatenate([owner, ticket_owner])
    days_before_end = np.concatenate([days_before_end, ticket_days])
    kind = np.concatenate([kind, np.full(len(ticket_owner), SUPPORT_TICKET_CODE)])
    seconds_ago = np.round((days_before_end + churn_days_ago[owner]) * 86400.0).astype(np.int64)
    seconds_ago = np.maximum(seconds_ago, 1)  # strictly before the cut-off

    # Interests: one or two categories, drawn from segment-specific weights.
    interest_w = SEGMENT_INTERESTS[segment] / SEGMENT_INTERESTS[segment].sum(axis=1, keepdims=True)
    first_interest = _choice_rows(rng, interest_w)
    second_w = interest_w.copy()
    second_w[np.arange(n), first_interest] = 0
    second_w /= second_w.sum(axis=1, keepdims=True)
    second_interest = np.where(rng.random(n) < 0.6, _choice_rows(rng, second_w), first_interest)
    use_second = rng.random(len(owner)) < 0.4
    category = np.where(use_second, second_interest[owner], first_interest[owner])

    target = EVENT_TARGETS[kind]
    product = np.full(len(owner), -1)
    content = np.full(len(owner), -1)
    is_product = target == PRODUCT
    is_content = target == CONTENT
    product[is_product] = _pick_items(
        rng,
        category[is_product],
        rng.random(int(is_product.sum())) < POPULAR_SHARE_PRODUCTS,
        catalogue.product_rank,
        catalogue.global_product_weights,
        0.8,
    )
    content[is_content] = _pick_items(
        rng,
        category[is_content],
        rng.random(int(is_content.sum())) < POPULAR_SHARE_CONTENT,
        catalogue.content_rank,
        catalogue.global_content_weights,
        0.7,
    )
    quantity = np.ones(len(owner), dtype=int)
    is_purchase = kind == PURCHASE_CODE
    extra = (rng.random(len(owner)) < 0.12).astype(int) + (rng.random(len(owner)) < 0.03)
    quantity[is_purchase] += extra[is_purchase]

    order = np.lexsort((-seconds_ago, owner))
    owner, kind, product = owner[order], kind[order], product[order]
    _returns_follow_purchases(owner, kind, product)
    return CustomerChunk(
        start=start,
        segment=segment,
        first_name=rng.integers(len(FIRST_NAMES), size=n),
        last_name=rng.integers(len(LAST_NAMES), size=n),
        country=country,
        region=region,
        plan=plan,
        contract=contract,
        payment=payment,
        support_plan=support_plan,
        devices=devices,
        newsletter=newsletter,
        satisfaction=satisfaction,
        opt_out=opt_out,
        monthly_spend=monthly_spend,
        tenure_months=tenure_months,
        signup_days_ago=signup_days_ago,
        label=label,
        churn_days_ago=churn_days_ago,
        event_customer=owner,
        event_kind=kind,
        event_product=product,
        event_content=content[order],
        event_quantity=quantity[order],
        event_seconds_ago=seconds_ago[order],
    )


def _returns_follow_purchases(owner: np.ndarray, kind: np.ndarray, product: np.ndarray) -> None:
    """In place, on events sorted by customer and then time: a return takes back the
    customer's latest earlier purchase; with none to take back it becomes a product view."""
    position = np.arange(len(owner))
    latest_purchase = np.maximum.accumulate(np.where(kind == PURCHASE_CODE, position, -1))
    has_purchase = (latest_purchase >= 0) & (owner[np.maximum(latest_purchase, 0)] == owner)
    is_return = kind == RETURN_CODE
    product[is_return & has_purchase] = product[latest_purchase[is_return & has_purchase]]
    kind[is_return & ~has_purchase] = PRODUCT_VIEW_CODE


def demo_data_generate(
    *, customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED, as_of: dt.date | None = None
) -> Iterator[CustomerChunk]:
    """Customers and events as numpy chunks, without touching the database.

    ``demo_data_seed`` writes exactly these chunks; the benchmark times this alone to show
    what the database writes cost on top.
    """
    as_of = as_of or timezone.now().date()
    catalogue = catalogue_build(seed=seed, as_of=as_of)
    yield from _chunks_generate(customers=customers, seed=seed, catalogue=catalogue)


def _chunks_generate(*, customers: int, seed: int, catalogue: Catalogue) -> Iterator[CustomerChunk]:
    for chunk_no, start in enumerate(range(0, customers, CHUNK_CUSTOMERS)):
        size = min(CHUNK_CUSTOMERS, customers - start)
        yield _customer_chunk_generate(
            seed=seed, chunk_no=chunk_no, start=start, size=size, catalogue=catalogue
        )


# --- Model instances ---------------------------------------------------------------------


def _email_local_part(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum() or ch == ".")


def _external_id(index: int) -> str:
    return f"{DEMO_ID_PREFIX}{index + 1:06d}"


def customer_objects_build(
    *, chunk: CustomerChunk, as_of: dt.date, segment_ids: list[int]
) -> list[Customer]:
    customers = []
    for i in range(chunk.size):
        number = chunk.start + i
        first = FIRST_NAMES[chunk.first_name[i]]
        last = LAST_NAMES[chunk.last_name[i]]
        local_part = _email_local_part(f"{first}.{last}")
        country, regions, _ = COUNTRIES[chunk.country[i]]
        label = int(chunk.label[i])
        customers.append(
            Customer(
                external_id=_external_id(number),
                name=f"{first} {last}",
                email=f"{local_part}.{number + 1}@example.com",
                segment_id=segment_ids[chunk.segment[i]],
                country=country,
                region=regions[chunk.region[i]],
                plan=PLANS[chunk.plan[i]],
                signup_date=as_of - dt.timedelta(days=int(chunk.signup_days_ago[i])),
                tenure_months=int(chunk.tenure_months[i]),
                monthly_spend=Decimal(f"{chunk.monthly_spend[i]:.2f}"),
                attributes={
                    "contract": CONTRACTS[chunk.contract[i]],
                    "payment_method": PAYMENT_METHODS[chunk.payment[i]],
                    "support_plan": SUPPORT_PLANS[chunk.support_plan[i]],
                    "devices": int(chunk.devices[i]),
                    "newsletter": bool(chunk.newsletter[i]),
                    "satisfaction_score": int(chunk.satisfaction[i]),
                },
                churned=None if label < 0 else bool(label),
                churned_at=(
                    as_of - dt.timedelta(days=int(chunk.churn_days_ago[i])) if label == 1 else None
                ),
                email_opt_out=bool(chunk.opt_out[i]),
            )
        )
    return customers


_INTERACTION_FIELDS = (
    "id",
    "customer_id",
    "product_id",
    "content_item_id",
    "kind",
    "quantity",
    "value",
    "occurred_at",
    "source_ref",
)


def _interaction_constructor() -> Callable[..., Interaction]:
    """Build Interactions positionally: Django's positional ``__init__`` is ~2.5x cheaper
    than keywords, which is 15-20 s over two million rows. Only while the model's columns
    are exactly the ones expected; any change to the model falls back to keywords."""
    if tuple(f.attname for f in Interaction._meta.concrete_fields) == _INTERACTION_FIELDS:
        return lambda *values: Interaction(None, *values, None)

    def by_keyword(customer, product, content, kind, quantity, value, occurred_at):
        return Interaction(
            customer_id=customer,
            product_id=product,
            content_item_id=content,
            kind=kind,
            quantity=quantity,
            value=value,
            occurred_at=occurred_at,
        )

    return by_keyword


def interaction_objects_build(
    *,
    chunk: CustomerChunk,
    as_of: dt.date,
    customer_ids: np.ndarray,
    product_ids: np.ndarray,
    content_ids: np.ndarray,
    product_prices: list[Decimal],
    start: int = 0,
    stop: int | None = None,
) -> list[Interaction]:
    """Interaction instances for events ``start:stop`` of ``chunk`` (ids by chunk index)."""
    events = slice(start, stop)
    cutoff = _cutoff(as_of)
    kinds = chunk.event_kind[events]
    products = chunk.event_product[events]
    contents = chunk.event_content[events]
    quantities = chunk.event_quantity[events].tolist()
    owners = customer_ids[chunk.event_customer[events]].tolist()
    product_pk = np.where(products >= 0, product_ids[np.maximum(products, 0)], -1).tolist()
    content_pk = np.where(contents >= 0, content_ids[np.maximum(contents, 0)], -1).tolist()
    has_value = np.isin(kinds, VALUE_CODES)
    value_product = np.where(has_value, products, -1).tolist()
    seconds = chunk.event_seconds_ago[events].tolist()
    kind_names = EVENT_KIND_NAMES
    make = _interaction_constructor()
    objects = []
    for kind, owner, product, content, quantity, value_of, ago in zip(
        kinds.tolist(),
        owners,
        product_pk,
        content_pk,
        quantities,
        value_product,
        seconds,
        strict=True,
    ):
        objects.append(
            make(
                owner,
                product if product >= 0 else None,
                content if content >= 0 else None,
                kind_names[kind],
                quantity,
                product_prices[value_of] * quantity if value_of >= 0 else None,
                cutoff - dt.timedelta(seconds=ago),
            )
        )
    return objects


# --- Services ----------------------------------------------------------------------------


def demo_data_exists() -> bool:
    return (
        Customer.objects.filter(external_id__startswith=DEMO_ID_PREFIX).exists()
        or Product.objects.filter(sku__startswith=DEMO_ID_PREFIX).exists()
        or ContentItem.objects.filter(slug__startswith=DEMO_SLUG_PREFIX).exists()
    )


@transaction.atomic
def demo_data_delete() -> dict[str, int]:
    """Remove demo rows only; imported customers, products and content stay."""
    demo_customers = Customer.objects.filter(external_id__startswith=DEMO_ID_PREFIX)
    demo_products = Product.objects.filter(sku__startswith=DEMO_ID_PREFIX)
    demo_content = ContentItem.objects.filter(slug__startswith=DEMO_SLUG_PREFIX)
    # Interactions first, one DELETE each (nothing depends on them, so Django deletes them
    # without loading rows); cascading from customers would walk millions of keys in batches.
    interactions = 0
    for related in (
        {"customer__in": demo_customers},
        {"product__in": demo_products},
        {"content_item__in": demo_content},
    ):
        deleted, _ = Interaction.objects.filter(**related).delete()
        interactions += deleted
    customers, _ = demo_customers.delete()
    products, _ = demo_products.delete()
    content, _ = demo_content.delete()
    segments, _ = (
        Segment.objects.filter(name__in=SEGMENT_NAMES)
        .annotate(n=Count("customers"))
        .filter(n=0)
        .delete()
    )
    return {
        "interactions": interactions,
        "customers": customers,
        "products": products,
        "content_items": content,
        "segments": segments,
    }


def demo_data_seed(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    progress: ProgressCallback | None = None,
    as_of: dt.date | None = None,
) -> DemoSummary:
    """Write the demo segments, catalogue, customers and interactions in one transaction.

    Same ``seed`` and ``as_of`` give identical rows. ``as_of`` (default: today, UTC) is the
    cut-off all history ends at, so that "active in the last 30 days" means something on
    the day the demo is seeded. ``progress(customers_done, customers_total)`` is called
    after every chunk.
    """
    if customers < 1:
        raise ValidationError("customers must be at least 1")
    if demo_data_exists():
        raise ValidationError("Demo data already exists; delete it with demo_data_delete() first.")
    started = time.perf_counter()
    as_of = as_of or timezone.now().date()
    catalogue = catalogue_build(seed=seed, as_of=as_of)
    counts = {"interactions": 0, "churned": 0, "retained": 0, "unknown": 0}
    with transaction.atomic():
        segment_ids = []
        for name, description in SEGMENTS:
            segment, _ = Segment.objects.update_or_create(
                name=name, defaults={"description": description}
            )
            segment_ids.append(segment.pk)
        products = Product.objects.bulk_create(
            [
                Product(
                    sku=p.sku,
                    name=p.name,
                    description=p.description,
                    category=p.category,
                    price=p.price,
                )
                for p in catalogue.products
            ],
            batch_size=BATCH_SIZE,
        )
        content_items = ContentItem.objects.bulk_create(
            [
                ContentItem(
                    slug=c.slug,
                    title=c.title,
                    summary=c.summary,
                    body=c.body,
                    kind=c.kind,
                    tags=c.tags,
                    published_at=c.published_at,
                )
                for c in catalogue.content
            ],
            batch_size=BATCH_SIZE,
        )
        product_ids = _primary_keys(products, Product, "sku")
        content_ids = _primary_keys(content_items, ContentItem, "slug")
        prices = [p.price for p in catalogue.products]

        for chunk in _chunks_generate(customers=customers, seed=seed, catalogue=catalogue):
            created = Customer.objects.bulk_create(
                customer_objects_build(chunk=chunk, as_of=as_of, segment_ids=segment_ids),
                batch_size=BATCH_SIZE,
            )
            customer_ids = _primary_keys(created, Customer, "external_id")
            n_events = len(chunk.event_kind)
            for start in range(0, n_events, BATCH_SIZE):
                Interaction.objects.bulk_create(
                    interaction_objects_build(
                        chunk=chunk,
                        as_of=as_of,
                        customer_ids=customer_ids,
                        product_ids=product_ids,
                        content_ids=content_ids,
                        product_prices=prices,
                        start=start,
                        stop=start + BATCH_SIZE,
                    ),
                    batch_size=BATCH_SIZE,
                )
            counts["interactions"] += n_events
            counts["churned"] += int((chunk.label == 1).sum())
            counts["retained"] += int((chunk.label == 0).sum())
            counts["unknown"] += int((chunk.label == -1).sum())
            if progress is not None:
                progress(chunk.start + chunk.size, customers)
    customer_count_compact()
    tables_vacuum_analyze(Segment, Product, ContentItem, Customer, Interaction)

    return DemoSummary(
        segments=len(SEGMENTS),
        customers=customers,
        products=len(catalogue.products),
        content_items=len(catalogue.content),
        seed=seed,
        as_of=as_of,
        seconds=time.perf_counter() - started,
        **counts,
    )


def _primary_keys(objects: list, model, natural_key: str) -> np.ndarray:
    """Primary keys in creation order; re-read only where the backend did not return them."""
    if all(obj.pk is not None for obj in objects):
        return np.array([obj.pk for obj in objects], dtype=np.int64)
    keys = [getattr(obj, natural_key) for obj in objects]
    by_key = dict(
        model.objects.filter(**{f"{natural_key}__in": keys}).values_list(natural_key, "pk")
    )
    return np.array([by_key[key] for key in keys], dtype=np.int64)
