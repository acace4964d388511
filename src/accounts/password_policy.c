/* The strength rule of new passwords: 10–256 characters, not containing the
 * username, and passing cracklib (Debian's libcrack2 with the dictionary of
 * cracklib-runtime), whose English reasons are said here in Chinese. */
#include "accounts/accounts.h"

#include <ctype.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <crack.h>

/* cracklib keeps static buffers and opens the dictionary on each call; it is
 * not documented as thread-safe, so one call at a time. */
static pthread_mutex_t crack_lock = PTHREAD_MUTEX_INITIALIZER;

/* cracklib's reasons (lib/fascist.c, C locale) and what we say instead.
 * Matched by substring, first match wins. */
static const struct {
    const char *english;
    const char *chinese;
} reasons[] = {
    {"too short", "密码太短"},
    {"DIFFERENT characters", "密码中不同的字符太少，请混用字母、数字和符号"},
    {"whitespace", "密码不能全是空白字符"},
    {"simplistic/systematic", "密码过于简单或有规律（如连续的字母、数字或键盘顺序）"},
    {"National Insurance", "密码像证件号码，容易被猜中"},
    {"reversed) dictionary word", "密码由常见单词倒写而成，容易被猜中"},
    {"dictionary word", "密码基于常见单词或常用密码，容易被猜中"},
    {"username", "密码不能基于用户名"},
    {"password entry", "密码不能基于用户名或姓名"},
};

/* Whether `hay` contains `needle`, ignoring ASCII case (usernames are ASCII). */
static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return 0;
    for (const char *p = hay; *p != '\0'; p++) {
        size_t i = 0;
        while (i < n && p[i] != '\0' &&
               tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

/* Characters (UTF-8 code points) in the first `bytes` bytes of `text`. */
static size_t utf8_chars(const char *text, size_t bytes)
{
    size_t chars = 0;
    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            chars++;
    return chars;
}

enum fk_err fk_password_dictionary_ready(void)
{
    const char *dict = GetDefaultCracklibDict();
    char path[512];
    int n = snprintf(path, sizeof(path), "%s.pwd", dict ? dict : "");
    if (dict == NULL || n < 0 || (size_t)n >= sizeof(path) || access(path, R_OK) != 0)
        return FK_ERR_IO;
    return FK_OK;
}

enum fk_err fk_password_check(const char *username, const char *password,
                              struct fk_field_error *why)
{
    why->field = "password";
    size_t bytes = strnlen(password, FK_PASSWORD_MAX + 1);
    if (bytes > FK_PASSWORD_MAX) {
        why->message = "密码不能超过 256 个字节";
        return FK_ERR_INVALID;
    }
    if (utf8_chars(password, bytes) < FK_PASSWORD_MIN) {
        why->message = "密码至少需要 10 个字符";
        return FK_ERR_INVALID;
    }
    if (username != NULL && contains_nocase(password, username)) {
        why->message = "密码不能包含用户名";
        return FK_ERR_INVALID;
    }
    if (fk_password_dictionary_ready() != FK_OK) {
        why->message = "服务器缺少密码字典（cracklib-runtime），暂时无法设置密码";
        return FK_ERR_IO;
    }
    pthread_mutex_lock(&crack_lock);
    const char *reason =
        FascistCheckUser(password, GetDefaultCracklibDict(), username ? username : "", NULL);
    const char *chinese = NULL;
    enum fk_err err = FK_OK;
    if (reason != NULL) {
        err = FK_ERR_INVALID;
        chinese = "密码强度不足，请换一个更复杂的密码";
        if (strstr(reason, "error loading dictionary") != NULL) {
            err = FK_ERR_IO;
            chinese = "服务器缺少密码字典（cracklib-runtime），暂时无法设置密码";
        }
        for (size_t i = 0; err == FK_ERR_INVALID && i < sizeof(reasons) / sizeof(reasons[0]); i++)
            if (strstr(reason, reasons[i].english) != NULL) {
                chinese = reasons[i].chinese;
                break;
            }
    }
    pthread_mutex_unlock(&crack_lock);
    if (err != FK_OK)
        why->message = chinese;
    return err;
}
