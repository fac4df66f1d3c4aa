from django.core.management.base import BaseCommand

from growthai.accounts import demo_users_create
from growthai.roles import user_roles


class Command(BaseCommand):
    help = (
        "Create (or reset) the marketer, manager and admin demo accounts with fresh random "
        "passwords and print them."
    )

    def handle(self, *args, **options):
        created = demo_users_create()
        rows = [
            (user.username, ", ".join(sorted(role.value for role in user_roles(user))), password)
            for user, password in created
        ]
        widths = [
            max(len(row[i]) for row in [("username", "role", "password"), *rows]) for i in range(3)
        ]

        def line(cells: tuple[str, str, str]) -> str:
            padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            return "  ".join(padded).rstrip()

        self.stdout.write(
            self.style.WARNING(
                "Demo credentials: for local demos only. Passwords are new on every run; "
                "do not use these accounts with real customer data."
            )
        )
        self.stdout.write(line(("username", "role", "password")))
        self.stdout.write(line(tuple("-" * width for width in widths)))
        for row in rows:
            self.stdout.write(line(row))
