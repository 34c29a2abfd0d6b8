"""Players in the admin."""

from django.contrib import admin

from .models import Player


@admin.register(Player)
class PlayerAdmin(admin.ModelAdmin):
    """Guests and users who have played."""

    list_display = ("id", "name", "user", "created")
    search_fields = ("id", "name", "user__username")
    readonly_fields = ("id", "created")
