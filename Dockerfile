FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN useradd --create-home --uid 1000 bankbuzz
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=1 DATABASE_URL=postgres://build/none REDIS_URL=redis://build:6379/0 python manage.py collectstatic --noinput
USER bankbuzz
EXPOSE 8000
CMD ["gunicorn", "bankbuzz.wsgi", "--bind", "0.0.0.0:8000"]
