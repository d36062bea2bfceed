"""The organisation's structure: departments (municipal services) and sites."""

from django.db import models


class Department(models.Model):
    """A municipal service, such as Espaces verts or État civil."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A place of work."""

    name = models.CharField(max_length=120, unique=True)
    address = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name
