package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/internal/router"
)

// Every language has the same keys as English, none empty, and the same fmt verbs.
func TestCataloguesComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%[sdv]`)
	en := catalogues["en"]
	if len(en) == 0 {
		t.Fatal("no English catalogue")
	}
	for _, l := range langs {
		c := catalogues[l]
		for _, k := range catalogueKeys(l) {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: key %q is not in en", l, k)
			}
			if strings.TrimSpace(c[k]) == "" {
				t.Errorf("%s: key %q is empty", l, k)
			}
		}
		for _, k := range catalogueKeys("en") {
			v, ok := c[k]
			if !ok {
				t.Errorf("%s: key %q is missing", l, k)
				continue
			}
			if a, b := verbs.FindAllString(en[k], -1), verbs.FindAllString(v, -1); strings.Join(a, "") != strings.Join(b, "") {
				t.Errorf("%s: key %q has verbs %v, en %v", l, k, b, a)
			}
		}
	}
}

// keyUses finds the catalogue keys the templates ({{T .Lang "key"}}), the scripts (t("key"))
// and the handlers (T(lang, "key")) use.
var keyUses = []*regexp.Regexp{
	regexp.MustCompile(`\{\{[^}]*?\bT \S+ "([^"]+)"`),
	regexp.MustCompile(`\(T \S+ "([^"]+)"`),
	regexp.MustCompile(`\bt\("([^"]+)"`),
	regexp.MustCompile(`\bT\([^,()]+(?:\([^()]*\))?, "([^"]+)"`),
	regexp.MustCompile(`add\([^\n]*, "/[a-z]*", "([^"]+)", "`), // nav's links
	regexp.MustCompile(`"(desk\.err\.[a-z_]+)"`),               // error sentences (errors.go)
	regexp.MustCompile(`\bviewErr\("([^"]+)"`),                 // the wallboard's view options
}

// Every key the pages, scripts and handlers name exists; every key of the catalogue is used.
func TestCatalogueKeysUsed(t *testing.T) {
	var files []string
	for _, g := range []string{"assets/*.html", "assets/*.js", "*.go"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	used := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range keyUses {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if strings.HasSuffix(m[1], ".") { // a prefix, completed at run time
					continue
				}
				used[m[1]] = true
				if _, ok := catalogues["en"][m[1]]; !ok {
					t.Errorf("%s uses %q, which the catalogue lacks", f, m[1])
				}
			}
		}
	}
	if len(used) < 10 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	// Keys built at run time.
	for _, r := range []string{"agent", "supervisor", "admin"} {
		used["role."+r] = true
	}
	for _, st := range []string{"logged_out", "available", "reserved", "on_call", "wrap_up", "paused"} {
		used["js.state."+st] = true
	}
	for _, k := range []string{"offered", "answered", "transferred", "ended", "wrapup", "ringing", "connected"} {
		used["js.desk.kind."+k] = true
	}
	for _, st := range []string{"new", "open", "pending", "resolved", "closed"} {
		used["js.desk.tstatus."+st] = true
	}
	for _, o := range []string{"answered", "abandoned", "transferred"} {
		used["js.desk.outcome."+o] = true
	}
	for _, k := range []string{"reports.col.queue", "reports.col.agent", "reports.key.offered", "reports.key.answered", "reports.key.abandoned"} {
		used[k] = true
	}
	for _, s := range []string{router.DialAgentRinging, router.DialCustomerRinging, router.DialConnected} {
		used["js.dial.state."+s] = true
	}
	for _, r := range []string{router.DialAgentNoAnswer, router.DialAgentBusy, router.DialAgentFailed, router.DialNoAnswer,
		router.DialBusy, router.DialFailed, router.DialCancelled} {
		used["js.dial.reason."+r] = true
		// A dial that never connected is a call record and an interaction with this outcome.
		o := calllog.DialOutcome(r)
		used["crm.outcome."+o], used["js.desk.outcome."+o] = true, true
		for _, k := range []string{"js.dial.reason." + r, "crm.outcome." + o, "js.desk.outcome." + o} {
			if _, ok := catalogues["en"][k]; !ok {
				t.Errorf("dial end %q has no text %s", r, k)
			}
		}
	}
	used["js.reason."+acd.ReasonNotReady] = true // the engine's pause of an agent who just logged in
	used["js.reason."+acd.ReasonNodeDown] = true // the router's pause of an agent whose node is down
	for _, k := range crmRuntimeKeys() {
		used[k] = true
	}
	for _, r := range PauseReasons {
		used["js.reason."+r] = true
		if _, ok := catalogues["en"]["js.reason."+r]; !ok {
			t.Errorf("pause reason %q has no text", r)
		}
	}
	for _, k := range catalogueKeys("en") {
		if !used[k] {
			t.Errorf("key %q is used nowhere", k)
		}
	}
}

func TestLanguageChoice(t *testing.T) {
	for _, c := range []struct{ cookie, accept, want string }{
		{"", "", "en"},
		{"", "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"},
		{"", "en-US,en;q=0.9,ru;q=0.8", "en"},
		{"", "de-DE,de;q=0.9,ru;q=0.5", "ru"},
		{"", "de", "en"},
		{"", "ru;q=bad, en", "en"},
		{"en", "ru", "en"},
		{"ru", "en", "ru"},
		{"xx", "ru", "ru"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		if c.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: c.cookie})
		}
		if got := langOf(r); got != c.want {
			t.Errorf("cookie %q, Accept-Language %q: %s, want %s", c.cookie, c.accept, got, c.want)
		}
	}
	if got := T("ru", "forbidden.message", "x"); got != "Эта страница недоступна для вашей роли (x)." {
		t.Errorf("T: %q", got)
	}
	if got := T("ru", "no.such.key"); got != "no.such.key" {
		t.Errorf("T of a missing key: %q", got)
	}
}

// The login page follows Accept-Language; ?lang= switches a signed-in user's pages and stays.
func TestRussianPages(t *testing.T) {
	s := newStoreSite(t, nil)
	req, _ := http.NewRequest("GET", s.ts.URL+"/login", nil)
	req.Header.Set("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`<html lang="ru">`, "Имя пользователя", "Пароль", "Войти"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("login page in Russian lacks %q", want)
		}
	}
	if strings.Contains(string(body), "Username") || resp.Header.Get("Content-Language") != "ru" {
		t.Errorf("login page in Russian: %s\n%s", resp.Header.Get("Content-Language"), body)
	}

	alice := s.signIn("alice")
	get := func(path string) string {
		resp, err := alice.c.Get(s.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if page := get("/reports"); !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, "forbidden to your role (agent)") {
		t.Errorf("English by default:\n%s", page)
	}
	if page := get("/reports?lang=ru"); !strings.Contains(page, `<a href="/reports">`) {
		t.Errorf("?lang=ru does not lead back to the page:\n%s", page)
	}
	for range 2 {
		if page := get("/reports"); !strings.Contains(page, `<html lang="ru">`) || !strings.Contains(page, "Выйти") ||
			!strings.Contains(page, "Эта страница недоступна для вашей роли (оператор).") || strings.Contains(page, "Sign out") {
			t.Errorf("after ?lang=ru:\n%s", page)
		}
	}
}

var (
	scriptRE = regexp.MustCompile(`(?s)<script[^>]*>.*?</script>`)
	tagRE    = regexp.MustCompile(`<[^>]*>`)
	attrRE   = regexp.MustCompile(`(?:title|aria-label|placeholder)="([^"]*)"`)
)

// visibleText is what a page shows a person: its text and its titles, labels and
// placeholders, without scripts.
func visibleText(page string) string {
	page = scriptRE.ReplaceAllString(page, " ")
	var b strings.Builder
	for _, m := range attrRE.FindAllStringSubmatch(page, -1) {
		b.WriteString(m[1] + "\n")
	}
	b.WriteString(tagRE.ReplaceAllString(page, "\n"))
	return b.String()
}

// checkRussian fails unless page is in Russian, shows each of want, and shows no English text
// of a key with one of prefixes; its scripts' catalogue is the Russian one.
func checkRussian(t *testing.T, name, page string, want []string, prefixes ...string) {
	t.Helper()
	if !strings.Contains(page, `<html lang="ru">`) {
		t.Errorf("%s: not lang=ru", name)
	}
	text := visibleText(page)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: lacks %q", name, w)
		}
	}
	for _, k := range catalogueKeys("en") {
		en := catalogues["en"][k]
		if en == catalogues["ru"][k] || strings.Contains(en, "%") {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) && regexp.MustCompile(`(^|\n|\s)`+regexp.QuoteMeta(en)+`($|\n|\s)`).MatchString(text) {
				t.Errorf("%s: shows the English %q (%s)", name, en, k)
			}
		}
	}
	if m := regexp.MustCompile(`(?s)<script type="application/json" id="i18n">(.*?)</script>`).FindStringSubmatch(page); m != nil {
		var js map[string]string
		if err := json.Unmarshal([]byte(m[1]), &js); err != nil {
			t.Errorf("%s: the scripts' catalogue: %v", name, err)
		} else if js["js.state.wrap_up"] != "Постобработка" {
			t.Errorf("%s: the scripts' catalogue is not Russian: %q", name, js["js.state.wrap_up"])
		}
	}
}

func TestRussianWallboard(t *testing.T) {
	s, _ := deskSite(t)
	c := s.client()
	s.login(c, "sue", "sue-pass")
	if code, page := s.get(c, "/wallboard"); code != 200 || !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, "Service level today") {
		t.Fatalf("English by default: %d\n%s", code, page)
	}
	s.get(c, "/wallboard?lang=ru")
	_, page := s.get(c, "/wallboard")
	checkRussian(t, "wallboard", page, []string{"Табло", "Очередь", "В ожидании", "Уровень обслуж. сегодня",
		"Среднее время ответа", "Пропущено", "Обратные звонки", "Операторы", "Звонки в ожидании", "Выйти", "супервизор", "перерыв"},
		"wallboard.", "nav.", "common.", "js.")
}

func TestRussianDesktop(t *testing.T) {
	s, _ := deskSite(t)
	c := s.client()
	s.login(c, "alice", "alice-pass")
	s.get(c, "/agent?lang=ru")
	_, page := s.get(c, "/agent")
	checkRussian(t, "desktop", page, []string{"Рабочее место оператора", "Мой статус", "Телефон", "Войти на этом телефоне",
		"Свободен", "Причина паузы", "Сегодня", "Мои обратные звонки", "Постобработка", "Результат звонка", "Текущий звонок",
		"Абонент", "Путь в IVR", "Новая заявка", "Перезвонить", "оператор 1001", "обед"},
		"desktop.", "nav.", "common.", "js.")
}

func TestRussianReports(t *testing.T) {
	s := newStoreSite(t, nil)
	sue := s.signIn("sue")
	s.get(sue.c, "/reports?lang=ru")
	_, page := s.get(sue.c, "/reports?by=queue&interval=1h&from=2026-01-05T08:00&to=2026-01-05T12:00")
	checkRussian(t, "reports", page, []string{"Отчёты", "Разрез", "по очередям", "Интервал", "Показать", "Скачать CSV",
		"Поступило", "Уровень обслуживания", "Занятость", "Звонки за интервал", "Уровень обслуживания за интервал",
		"Очередь", "Макс. ожидание", "поступило"}, "reports.", "nav.", "common.")
	if code, page := s.get(sue.c, "/reports?from=nonsense"); code != 400 || !strings.Contains(page, `<html lang="ru">`) {
		t.Errorf("a bad range: %d", code)
	}
}

func TestRussianRecordings(t *testing.T) {
	s := newRecordingSite(t)
	c := s.as("sue")
	s.get(c, "/recordings?lang=ru")
	_, page := s.get(c, "/recordings?from=2026-11-23T08:00")
	checkRussian(t, "recordings", page, []string{"Записи", "Очередь", "Оператор", "Номер", "Клиент", "Заявка", "Не короче (с)",
		"Найти", "Начало (UTC)", "Длительность", "Скачать", "Каждое прослушивание"}, "recordings.", "nav.", "common.")
}

func TestRussianAdmin(t *testing.T) {
	s := newStoreSite(t, nil)
	root := s.signIn("root")
	s.get(root.c, "/admin?lang=ru")
	_, page := s.get(root.c, "/admin")
	checkRussian(t, "admin", page, []string{"Учётные записи", "Пользователи", "Роль", "администратор", "Новый пользователь",
		"Телефон и навыки оператора", "Токены API", "Создать токен", "Сохранить", "Удалить"}, "admin.", "nav.", "common.", "js.admin.")
	if !strings.Contains(page, `<option value="supervisor" selected>супервизор</option>`) {
		t.Errorf("the roles keep their values:\n%s", page)
	}
}

// The switch leads back to the same page, with its other parameters, and never off the site.
func TestLanguageSwitchRedirect(t *testing.T) {
	h := Handler(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, c := range []struct{ target, want string }{
		{"/reports?lang=ru&by=agent", "/reports?by=agent"},
		{"//evil.example/x?lang=ru", "/evil.example/x"},
		{"/%5Cevil.example?lang=en", "/%5Cevil.example"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", c.target, nil))
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != c.want {
			t.Errorf("%s: %d %q, want %q", c.target, w.Code, loc, c.want)
		}
		if !strings.Contains(w.Header().Get("Set-Cookie"), langCookie+"=") {
			t.Errorf("%s: no cookie", c.target)
		}
	}
}

// FuzzAcceptLang: any Accept-Language header, however malformed, gives one of the
// interface's languages.
func FuzzAcceptLang(f *testing.F) {
	for _, s := range []string{"", "ru", "ru-RU,ru;q=0.9,en;q=0.8", "en;q=0.1, ru;q=0.2", "de, fr;q=x", ";;,", "RU;q=1e400", "ru;q=NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := acceptLang(h)
		if !knownLang(got) {
			t.Fatalf("acceptLang(%q) = %q, not one of %v", h, got, langs)
		}
	})
}
