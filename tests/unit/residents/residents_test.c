/* The registry's typed lookups for other modules (residents.h) and the
 * accounts' (accounts.h): jurisdiction, merged persons, households with
 * their members. SQLite in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accounts/accounts.h"
#include "residents/residents.h"

static const char *const ID_A = "141102199003071236", *const ID_B = "141102198511110022";

static int64_t add_person(struct fk_conn *db, const struct fk_pii_key *key, const char *id_number,
                          const char *name, const char *region, int64_t household)
{
    struct fk_person_input in = {.id_number = id_number,
                                 .name = name,
                                 .phone = "13812345678",
                                 .region = region,
                                 .address = "滨河路 1 号",
                                 .household_id = household};
    struct fk_person_valid valid;
    struct fk_person_error why;
    assert_int_equal(fk_person_validate(db, &in, "141102", 1646179200, &valid, &why), FK_OK);
    int64_t id = 0, existing = 0;
    assert_int_equal(fk_person_insert(db, key, &valid, 1646179200, &id, &existing), FK_OK);
    return id;
}

static void test_lookups(void **state)
{
    (void)state;
    char dir[] = "/tmp/fk-residents-test-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/r.db", dir);
    struct fk_store *store = NULL;
    struct fk_conn *db;
    assert_int_equal(fk_store_open(path, &store), FK_OK);
    assert_int_equal(fk_store_migrate(store), FK_OK);
    assert_int_equal(fk_store_conn(store, &db), FK_OK);
    assert_int_equal(fk_region_add(db, "141102000000", NULL, "离石区", 1), FK_OK);
    assert_int_equal(fk_region_add(db, "141102001000", "141102000000", "莲花池街道", 2), FK_OK);
    assert_int_equal(fk_region_add(db, "141102002000", "141102000000", "凤山街道", 2), FK_OK);
    struct fk_pii_key key;
    memset(&key, 7, sizeof(key));

    int64_t household = 0;
    assert_int_equal(fk_db_run(db, &household,
                               "INSERT INTO households(region, address, created_at, updated_at) "
                               "VALUES ('141102001000', '滨河路 1 号', 0, 0) RETURNING id",
                               ""),
                     FK_OK);
    int64_t a = add_person(db, &key, ID_A, "张三", "141102001000", household);
    int64_t b = add_person(db, &key, ID_B, "李四", "141102002000", 0);

    struct fk_person p;
    assert_int_equal(fk_person_get_in_scope(db, a, "141102001", &p), FK_OK);
    assert_int_equal(p.id, a);
    assert_string_equal(p.name, "张三");
    assert_string_equal(p.region, "141102001000");
    assert_string_equal(p.region_name, "莲花池街道");
    assert_string_equal(p.birth_date, "1990-03-07");
    assert_int_equal(p.household_id, household);
    assert_int_equal(p.merged_into, 0);
    char plain[32];
    fk_person_open(&key, "id_number", p.id_sealed, plain, sizeof(plain));
    assert_string_equal(plain, ID_A);
    fk_person_open(&key, "phone", p.phone_sealed, plain, sizeof(plain));
    assert_string_equal(plain, "13812345678");
    /* Not yours is not found. */
    assert_int_equal(fk_person_get_in_scope(db, b, "141102001", &p), FK_ERR_NOT_FOUND);
    assert_int_equal(fk_person_get_in_scope(db, b, "141102", &p), FK_OK);
    assert_int_equal(fk_person_get_in_scope(db, b + 100, "141102", &p), FK_ERR_NOT_FOUND);

    /* By ID number (blind index), within the scope. */
    assert_int_equal(fk_person_find_in_scope(db, &key, ID_B, "141102002", &p), FK_OK);
    assert_int_equal(p.id, b);
    assert_int_equal(fk_person_find_in_scope(db, &key, ID_B, "141102001", &p), FK_ERR_NOT_FOUND);

    /* A household with its members, within the scope. */
    struct fk_household h;
    struct fk_person *members = NULL;
    size_t n = 0;
    assert_int_equal(fk_household_get_in_scope(db, household, "141102", &h, &members, &n), FK_OK);
    assert_int_equal(h.id, household);
    assert_int_equal(h.member_count, 1);
    assert_int_equal(n, 1);
    assert_int_equal(members[0].id, a);
    free(members);
    assert_int_equal(fk_household_get_in_scope(db, household, "141102002", &h, NULL, NULL),
                     FK_ERR_NOT_FOUND);
    char region[FK_REGION_CODE_LEN];
    assert_int_equal(fk_household_region(db, household, region), FK_OK);
    assert_string_equal(region, "141102001000");

    /* A merged person is no longer found in scope, but still by id. */
    assert_int_equal(
        fk_db_run(db, NULL, "UPDATE persons SET merged_into = ? WHERE id = ?", "ii", a, b), FK_OK);
    assert_int_equal(fk_person_get_in_scope(db, b, "141102", &p), FK_ERR_NOT_FOUND);
    assert_int_equal(fk_person_find_in_scope(db, &key, ID_B, "141102", &p), FK_ERR_NOT_FOUND);
    assert_int_equal(fk_person_get(db, b, &p), FK_OK);
    assert_int_equal(p.merged_into, a);

    /* Accounts: a user by id and by username, in scope or not. */
    int64_t user = 0;
    struct fk_field_error why = {0};
    assert_int_equal(fk_user_add(db, "lianhua", "x", "community_worker", "141102001000", "社区",
                                 FK_USER_ALLOW_WEAK, &user, &why),
                     FK_OK);
    struct fk_user u;
    assert_int_equal(fk_user_get(db, user, &u), FK_OK);
    assert_string_equal(u.username, "lianhua");
    assert_string_equal(u.role_name, "community_worker");
    assert_int_equal(u.role, FK_ROLE_COMMUNITY_WORKER);
    assert_string_equal(u.prefix, "141102001");
    assert_string_equal(u.region_name, "莲花池街道");
    assert_int_equal(fk_user_get_by_username(db, "lianhua", &u), FK_OK);
    assert_int_equal(u.id, user);
    assert_int_equal(fk_user_get_by_username(db, "nobody", &u), FK_ERR_NOT_FOUND);
    assert_int_equal(fk_user_in_scope(db, user, "141102", &u), FK_OK);
    assert_int_equal(fk_user_in_scope(db, user, "141102002", &u), FK_ERR_NOT_FOUND);
    assert_int_equal(fk_user_by_username_in_scope(db, "lianhua", "141102001", &u), FK_OK);
    assert_int_equal(fk_user_by_username_in_scope(db, "lianhua", "141102002", &u),
                     FK_ERR_NOT_FOUND);
    fk_store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
