-- Roles and databases of the platform. One file for both stacks:
--   * deploy/local/infra.sh runs it as the cluster's superuser over the local socket on every `up`;
--   * docker-compose.yml mounts it into /docker-entrypoint-initdb.d (run once, on an empty volume).
-- It is idempotent (every CREATE is guarded), so re-running it is how the local stack converges.
--
-- Passwords come from psql variables (`psql -v owner_password=... -v app_password=...`); the defaults
-- below are the local values of deploy/local/stack.env, used by the docker image's init run.
--
-- Privilege model (ARCHITECTURE.md §5): shop_owner owns every database and, through migrations, every
-- table; shop_app (what the services connect as) owns nothing, is not a superuser and has no BYPASSRLS,
-- so row-level security applies to it. shop_app may use but not create objects in `public`.

\set ON_ERROR_STOP on
\if :{?owner_password}
\else
  \set owner_password 'shop_owner_local'
\endif
\if :{?app_password}
\else
  \set app_password 'shop_app_local'
\endif

SELECT 'CREATE ROLE shop_owner'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shop_owner') \gexec
SELECT 'CREATE ROLE shop_app'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shop_app') \gexec

-- Re-asserted on every run, so a role changed by hand goes back to the model.
SET password_encryption = 'scram-sha-256';
ALTER ROLE shop_owner WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'owner_password';
ALTER ROLE shop_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_password';

-- One database per service, plus shop_test for the runtime library's own integration tests.
SELECT format('CREATE DATABASE %I OWNER shop_owner', db)
  FROM unnest(ARRAY['shop_tenancy', 'shop_catalog', 'shop_inventory', 'shop_orders', 'shop_payments',
                    'shop_shipping', 'shop_analytics', 'shop_test']) AS db
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = db) \gexec

SELECT format('ALTER DATABASE %I OWNER TO shop_owner', datname),
       format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO shop_app', datname)
  FROM pg_database
 WHERE datname IN ('shop_tenancy', 'shop_catalog', 'shop_inventory', 'shop_orders', 'shop_payments',
                   'shop_shipping', 'shop_analytics', 'shop_test') \gexec

-- Schema privileges live inside each database, hence one \connect per database. The block is the same
-- for all of them; psql has no loop, so it is written out (keep the eight copies identical).
\connect shop_tenancy
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO shop_owner;
GRANT USAGE ON SCHEMA public TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO shop_app;

\connect shop_catalog
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO shop_owner;
GRANT USAGE ON SCHEMA public TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO shop_app;

\connect shop_inventory
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO shop_owner;
GRANT USAGE ON SCHEMA public TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO shop_app;

\connect shop_orders
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO shop_owner;
GRANT USAGE ON SCHEMA public TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO shop_app;

\connect shop_payments
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO shop_owner;
GRANT USAGE ON SCHEMA public TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO shop_app;

\connect shop_shipping
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO shop_owner;
GRANT USAGE ON SCHEMA public TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO shop_app;

\connect shop_analytics
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO shop_owner;
GRANT USAGE ON SCHEMA public TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO shop_app;

\connect shop_test
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO shop_owner;
GRANT USAGE ON SCHEMA public TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shop_app;
ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO shop_app;
