FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN useradd --create-home --uid 1000 bankbuzz \
    && install -d -o bankbuzz -g bankbuzz /var/lib/bankbuzz/checkpoints
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings that load; these throwaway values never leave the build.
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    CREDENTIALS_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    PAN_VAULT_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    DATABASE_URL=postgres://build/none REDIS_URL=redis://build:6379/0 \
    python manage.py collectstatic --noinput
USER bankbuzz
EXPOSE 8000
CMD ["gunicorn", "bankbuzz.wsgi", "--bind", "0.0.0.0:8000", "--keep-alive", "75"]
