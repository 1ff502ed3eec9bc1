from django.urls import path

from crm.views import home

urlpatterns = [path("", home.home, name="home")]
