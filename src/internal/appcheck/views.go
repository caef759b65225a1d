package appcheck

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
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

// uiFile is a file under default/data/ui: a Simple XML view, the
// navigation, an alert action's form. XML files are parsed once, for all
// the view rules.
type uiFile struct {
	name string
	root *XMLNode // nil if not .xml, under html/, or not well formed
	err  error    // why an .xml file is not well formed
}

// loadUI parses the files under default/data/ui (names sorted) and
// returns them with the names of the app's views.
func loadUI(a *App, names []string) ([]uiFile, map[string]bool) {
	var files []uiFile
	views := map[string]bool{}
	for _, n := range names {
		if a.Files[n].Dir || !strings.HasPrefix(n, "default/data/ui/") {
			continue
		}
		f := uiFile{name: n}
		if strings.HasSuffix(n, ".xml") && !strings.HasPrefix(n, "default/data/ui/html/") {
			f.root, f.err = ParseXML(a.Files[n].Data)
		}
		if strings.HasPrefix(n, "default/data/ui/views/") && strings.HasSuffix(n, ".xml") {
			views[strings.TrimSuffix(path.Base(n), ".xml")] = true
		}
		files = append(files, f)
	}
	return files, views
}

// The rules of the app's Simple XML views and navigation. Names other
// than AppInspect's (check_html_dashboards,
// check_simplexml_standards_version) are this package's own.

// htmlDashboards: AppInspect's check_html_dashboards fails HTML
// dashboards (default/data/ui/html).
func htmlDashboards(v *appView, r *findings) {
	for _, f := range v.ui {
		if strings.HasPrefix(f.name, "default/data/ui/html/") {
			r.add(Fail, "%s: HTML dashboards are not permitted", f.name)
		}
	}
}

// xmlWellFormed: every .xml under default/data/ui is well formed (Splunk
// Web cannot load a view or a nav it cannot parse).
func xmlWellFormed(v *appView, r *findings) {
	for _, f := range v.ui {
		if f.err != nil {
			r.add(Fail, "%s: %v", f.name, f.err)
		}
	}
}

// simpleXMLViews calls f for every view that parsed, the root named
// dashboard or form; others fail check_dashboard_root.
func (v *appView) simpleXMLViews(f func(name string, root *XMLNode)) {
	for _, u := range v.ui {
		if u.root == nil || !strings.HasPrefix(u.name, "default/data/ui/views/") {
			continue
		}
		if u.root.Name == "dashboard" || u.root.Name == "form" {
			f(u.name, u.root)
		}
	}
}

// dashboardRoot: a view's root is <dashboard> or <form>.
func dashboardRoot(v *appView, r *findings) {
	for _, u := range v.ui {
		if u.root == nil || !strings.HasPrefix(u.name, "default/data/ui/views/") {
			continue
		}
		if u.root.Name != "dashboard" && u.root.Name != "form" {
			r.add(Fail, "%s: root <%s>, want <dashboard> or <form>", u.name, u.root.Name)
		}
	}
}

// simplexmlVersion: a view's root has version="1.1" (or "2", Dashboard
// Studio): AppInspect's check_simplexml_standards_version fails any other
// version, since Splunk 9 runs 1.1 dashboards with jQuery 3.5 and earlier
// versions with the vulnerable older jQuery.
func simplexmlVersion(v *appView, r *findings) {
	v.simpleXMLViews(func(n string, root *XMLNode) {
		switch ver, ok := root.Attr["version"]; {
		case !ok:
			r.add(Fail, "%s: <%s> has no version attribute; want version=\"1.1\"", n, root.Name)
		case strings.TrimSpace(ver) != "1.1" && strings.TrimSpace(ver) != "2":
			r.add(Fail, "%s: <%s version=%q>; want version=\"1.1\"", n, root.Name, ver)
		}
	})
}

// dashboardPanelsHaveSearches: every visualization of a panel has a
// <search> with a non-empty <query>, a saved search (ref=) or a base
// search (base=) that the view defines with that id.
func dashboardPanelsHaveSearches(v *appView, r *findings) {
	v.simpleXMLViews(func(n string, root *XMLNode) {
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
			for _, vis := range p.Children {
				if !visualizations[vis.Name] {
					continue
				}
				s := vis.Child("search")
				switch {
				case s == nil:
					r.add(Fail, "%s: a <%s> of panel %q has no <search>", n, vis.Name, panelTitle(p))
				case s.Attr["base"] != "" && !ids[s.Attr["base"]]:
					r.add(Fail, "%s: <search base=%q> of panel %q: the view has no <search id=%q>", n, s.Attr["base"], panelTitle(p), s.Attr["base"])
				case s.Attr["ref"] == "" && s.Attr["base"] == "" && (s.Child("query") == nil || strings.TrimSpace(s.Child("query").Text) == ""):
					r.add(Fail, "%s: the <search> of panel %q has no <query>, ref= or base=", n, panelTitle(p))
				}
			}
		})
	})
}

// navViewsExist: the navigation's root is <nav>, and every <view name> of
// it (its default view too) is a view of the app or of Splunk's search
// app.
func navViewsExist(v *appView, r *findings) {
	for _, u := range v.ui {
		if u.root == nil || !strings.HasPrefix(u.name, "default/data/ui/nav/") {
			continue
		}
		if u.root.Name != "nav" {
			r.add(Fail, "%s: root <%s>, want <nav>", u.name, u.root.Name)
			continue
		}
		u.root.Walk(func(n *XMLNode) {
			if n.Name != "view" {
				return
			}
			if name := n.Attr["name"]; !v.views[name] && !builtinViews[name] {
				r.add(Fail, "%s: <view name=%q> is not a view of the app (default/data/ui/views/%s.xml) or of Splunk's search app", u.name, name, name)
			}
		})
	}
}

func panelTitle(p *XMLNode) string {
	if t := p.Child("title"); t != nil {
		return strings.TrimSpace(t.Text)
	}
	return "(untitled)"
}
