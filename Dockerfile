# One image for every role: web (gunicorn, WSGI), websockets (uvicorn, ASGI), migrate and sweeps.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN DJANGO_ENV=production DJANGO_SECRET_KEY=build-only-placeholder-build-only-placeholder-build-only \
    DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --noinput
RUN useradd --system --uid 1000 eraha && mkdir -p /app/var && chown -R eraha /app/var
USER eraha
EXPOSE 8000 8001
CMD ["gunicorn", "eraha.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4"]
