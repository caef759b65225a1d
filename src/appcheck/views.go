package appcheck

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// XMLNode is one element of a parsed XML file: its name, attributes,
// child elements and the character data directly inside it (comments
// dropped, entities decoded).
type XMLNode struct {
	Name     string
	Attr     map[string]string
	Children []*XMLNode
	Text     string
}

// Child returns the first child element named name, or nil.
func (n *XMLNode) Child(name string) *XMLNode {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Walk calls f for n and every element below it, depth first, in document
// order.
func (n *XMLNode) Walk(f func(*XMLNode)) {
	f(n)
	for _, c := range n.Children {
		c.Walk(f)
	}
}

// ParseXML reads a whole XML document strictly (encoding/xml's Strict
// mode: matching tags, quoted attributes, known entities) and returns its
// root element. A document is well formed only with exactly one root
// element and nothing but white space, comments and processing
// instructions around it.
func ParseXML(data []byte) (*XMLNode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var root *XMLNode
	var stack []*XMLNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &XMLNode{Name: t.Name.Local, Attr: map[string]string{}}
			for _, a := range t.Attr {
				n.Attr[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else if root != nil {
				return nil, fmt.Errorf("line %d: a second root element <%s>", line(data, d.InputOffset()), n.Name)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("line %d: text outside the root element", line(data, d.InputOffset()))
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

func line(data []byte, off int64) int {
	return bytes.Count(data[:min(int(off), len(data))], []byte("\n")) + 1
}

// Simple XML visualization elements: each shows the results of a search
// (Simple XML Reference, "Panel visualization elements"). <html> panels
// need none.
var visualizations = map[string]bool{"chart": true, "table": true, "event": true, "single": true, "map": true, "viz": true}

// builtinViews are views of Splunk's search app that an app's navigation
// may name without shipping them (the search app exports its views).
var builtinViews = map[string]bool{"search": true, "datasets": true, "reports": true, "alerts": true, "dashboards": true, "analytics_workspace": true}

// checkViews checks the app's Simple XML views and navigation:
//
//   - every .xml under default/data/ui is well formed (Splunk Web cannot
//     load a view or a nav it cannot parse);
//   - a view's root is <dashboard> or <form> with version="1.1" (or "2",
//     Dashboard Studio): AppInspect's check_simplexml_standards_version
//     fails any other version, since Splunk 9 runs 1.1 dashboards with
//     jQuery 3.5 and earlier versions with the vulnerable older jQuery;
//   - every visualization of a panel has a <search> with a non-empty
//     <query>, a saved search (ref=) or a base search (base=) that the
//     view defines with that id;
//   - no HTML dashboards (default/data/ui/html): AppInspect's
//     check_html_dashboards fails them;
//   - every <view name> of the navigation is a view of the app or of
//     Splunk's search app, and so is its default view.
//
// Check names other than AppInspect's are this package's own
// (check_xml_files_are_well_formed, check_dashboard_root,
// check_dashboard_panels_have_searches, check_nav_views_exist).
func (a *App) checkViews() []Finding {
	var out []Finding
	add := func(check, format string, args ...any) {
		out = append(out, Finding{Fail, check, fmt.Sprintf(format, args...)})
	}
	var names []string
	for n, e := range a.Files {
		if !e.Dir && strings.HasPrefix(n, "default/data/ui/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	views := map[string]bool{}
	for _, n := range names {
		if strings.HasPrefix(n, "default/data/ui/views/") && strings.HasSuffix(n, ".xml") {
			views[strings.TrimSuffix(path.Base(n), ".xml")] = true
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "default/data/ui/html/") {
			add("check_html_dashboards", "%s: HTML dashboards are not permitted", n)
			continue
		}
		if !strings.HasSuffix(n, ".xml") {
			continue
		}
		root, err := ParseXML(a.Files[n].Data)
		if err != nil {
			add("check_xml_files_are_well_formed", "%s: %v", n, err)
			continue
		}
		switch {
		case strings.HasPrefix(n, "default/data/ui/views/"):
			out = append(out, checkView(n, root)...)
		case strings.HasPrefix(n, "default/data/ui/nav/"):
			if root.Name != "nav" {
				add("check_nav_views_exist", "%s: root <%s>, want <nav>", n, root.Name)
				continue
			}
			root.Walk(func(v *XMLNode) {
				if v.Name != "view" {
					return
				}
				if name := v.Attr["name"]; !views[name] && !builtinViews[name] {
					add("check_nav_views_exist", "%s: <view name=%q> is not a view of the app (default/data/ui/views/%s.xml) or of Splunk's search app", n, name, name)
				}
			})
		}
	}
	return out
}

func checkView(n string, root *XMLNode) []Finding {
	var out []Finding
	add := func(check, format string, args ...any) {
		out = append(out, Finding{Fail, check, fmt.Sprintf(format, args...)})
	}
	if root.Name != "dashboard" && root.Name != "form" {
		add("check_dashboard_root", "%s: root <%s>, want <dashboard> or <form>", n, root.Name)
		return out
	}
	switch v, ok := root.Attr["version"]; {
	case !ok:
		add("check_simplexml_standards_version", "%s: <%s> has no version attribute; want version=\"1.1\"", n, root.Name)
	case strings.TrimSpace(v) != "1.1" && strings.TrimSpace(v) != "2":
		add("check_simplexml_standards_version", "%s: <%s version=%q>; want version=\"1.1\"", n, root.Name, v)
	}
	ids := map[string]bool{}
	root.Walk(func(s *XMLNode) {
		if s.Name == "search" && s.Attr["id"] != "" {
			ids[s.Attr["id"]] = true
		}
	})
	root.Walk(func(p *XMLNode) {
		if p.Name != "panel" {
			return
		}
		for _, v := range p.Children {
			if !visualizations[v.Name] {
				continue
			}
			s := v.Child("search")
			switch {
			case s == nil:
				add("check_dashboard_panels_have_searches", "%s: a <%s> of panel %q has no <search>", n, v.Name, panelTitle(p))
			case s.Attr["base"] != "" && !ids[s.Attr["base"]]:
				add("check_dashboard_panels_have_searches", "%s: <search base=%q> of panel %q: the view has no <search id=%q>", n, s.Attr["base"], panelTitle(p), s.Attr["base"])
			case s.Attr["ref"] == "" && s.Attr["base"] == "" && (s.Child("query") == nil || strings.TrimSpace(s.Child("query").Text) == ""):
				add("check_dashboard_panels_have_searches", "%s: the <search> of panel %q has no <query>, ref= or base=", n, panelTitle(p))
			}
		}
	})
	return out
}

func panelTitle(p *XMLNode) string {
	if t := p.Child("title"); t != nil {
		return strings.TrimSpace(t.Text)
	}
	return "(untitled)"
}
