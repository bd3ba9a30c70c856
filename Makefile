.PHONY: run test test-pg lint format migrate
run:        ## install, migrate, seed demo data and serve on :5000 (SQLite)
	bash scripts/demo.sh
test:       ## the whole suite on SQLite
	bash scripts/test.sh -q
test-pg:    ## the whole suite on the local PostgreSQL
	TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test bash scripts/test.sh -q
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .
migrate:    ## make a migration from model changes: make migrate m="what changed"
	FLASK_DEBUG=1 .venv/bin/flask --app wsgi db migrate -m "$(m)"
